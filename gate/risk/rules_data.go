package risk

import (
	"strings"
)

// dataFamilies rates managed-database, search and cache CLIs.
func dataFamilies() []family {
	const cat = CatDatabase
	return []family{
		{[]string{"supabase"}, table([]string{"--project-ref", "--db-url", "-p", "--password", "--workdir"},
			subRule{"db reset", nil, cat, LevelCritical, "drops and recreates the database"},
			subRule{"projects delete", nil, cat, LevelCritical, "deletes a Supabase project"},
			subRule{"db push", []string{"--include-all"}, cat, LevelMedium, "applies every pending migration to the remote database"},
			subRule{"branches|functions|secrets|storage delete|rm|unset", nil, cat, LevelHigh, "deletes branches, functions, secrets or stored files"},
			subRule{"db push", nil, cat, LevelLow, "applies migrations to the remote database"},
		)},
		{[]string{"pscale"}, table([]string{"--org", "--service-token", "--service-token-id"},
			subRule{"database delete", nil, cat, LevelCritical, "deletes a PlanetScale database"},
			subRule{"branch delete|demote", nil, cat, LevelHigh, "deletes or demotes a database branch"},
			subRule{"deploy-request deploy", nil, cat, LevelLow, "deploys a schema change"},
			subRule{"password|service-token create", nil, CatSecrets, LevelMedium, "creates and prints database credentials"},
		)},
		{[]string{"neonctl", "neon"}, table([]string{"--project-id", "--api-key", "-o", "--output"},
			subRule{"projects|project delete", nil, cat, LevelCritical, "deletes a Neon project with its databases"},
			subRule{"branches|branch|databases|database|roles|role delete|reset", nil, cat, LevelHigh, "deletes or resets a database branch, database or role"},
			subRule{"connection-string", nil, CatSecrets, LevelMedium, "prints a connection string with its password"},
		)},
		{[]string{"turso"}, table(nil,
			subRule{"db destroy", nil, cat, LevelCritical, "destroys a Turso database"},
			subRule{"group|org destroy", nil, cat, LevelCritical, "destroys a database group or organisation"},
			subRule{"db tokens create", nil, CatSecrets, LevelMedium, "creates and prints a database token"},
		)},
		{[]string{"mongodump", "pg_dump", "pg_dumpall", "mysqldump", "mongoexport", "redis-dump"}, noRule},
		{[]string{"curator", "curator_cli", "es-curator"}, table([]string{"--config", "--host", "--port"},
			subRule{"delete_indices|delete_snapshots|delete-indices|delete-snapshots|close|forcemerge", nil, cat, LevelHigh, "deletes or closes Elasticsearch indices or snapshots"},
			subRule{"", nil, cat, LevelLow, "runs Elasticsearch maintenance actions from a configuration file"},
		)},
		{[]string{"elasticsearch-reset-password", "elasticsearch-create-enrollment-token", "elasticsearch-service-tokens"}, fixed(CatSecrets, LevelMedium, "creates and prints Elasticsearch credentials")},
		{[]string{"varnishadm"}, table([]string{"-T", "-S"},
			subRule{"ban", nil, cat, LevelLow, "invalidates cached objects"},
			subRule{"stop|vcl.discard", nil, cat, LevelMedium, "stops the cache or discards its configuration"},
		)},
		{[]string{"memcflush"}, fixed(cat, LevelHigh, "deletes every key in memcached")},
		{[]string{"cockroach"}, (*assessor).cockroach},
		{[]string{"pg_ctl", "pg_ctlcluster"}, table([]string{"-D", "--pgdata", "-m", "--mode", "-o", "-l"},
			subRule{"stop|restart|kill", nil, cat, LevelHigh, "stops or restarts the database server"},
			subRule{"* * stop|restart", nil, cat, LevelHigh, "stops or restarts the database server"},
			subRule{"promote", nil, cat, LevelMedium, "promotes a replica to primary"},
		)},
		{[]string{"pg_resetwal", "pg_resetxlog"}, fixed(cat, LevelCritical, "resets the write-ahead log, which can corrupt the database")},
		{[]string{"patronictl"}, table([]string{"-c", "--config-file", "--dcs-url"},
			subRule{"remove", nil, cat, LevelCritical, "removes the cluster's state from the DCS"},
			subRule{"failover|switchover|reinit|restart", []string{"--force"}, cat, LevelHigh, "forces a failover, reinitialises or restarts database members"},
			subRule{"failover|switchover|reinit|pause", nil, cat, LevelMedium, "fails over, reinitialises or pauses database members"},
		)},
		{[]string{"pt-archiver"}, table(nil,
			subRule{"", []string{"--purge"}, cat, LevelHigh, "deletes archived rows instead of copying them"},
			subRule{"", nil, cat, LevelMedium, "moves rows out of a table (deleting them from the source)"},
		)},
		{[]string{"pt-online-schema-change", "gh-ost"}, table(nil,
			subRule{"", []string{"--execute"}, cat, LevelMedium, "rewrites a live table's schema"},
		)},
		{[]string{"dbt"}, table([]string{"--target", "-t", "--profiles-dir", "--project-dir", "-s", "--select", "--vars"},
			subRule{"run|build", []string{"--full-refresh"}, cat, LevelMedium, "drops and rebuilds incremental models"},
			subRule{"run-operation", nil, cat, LevelLow, "runs a macro against the warehouse"},
		)},
		{[]string{"mongocli", "atlascli"}, table([]string{"--projectId", "--orgId", "-o", "--output"},
			subRule{"* clusters delete|terminate", nil, cat, LevelCritical, "deletes a MongoDB Atlas cluster"},
			subRule{"clusters delete", nil, cat, LevelCritical, "deletes a MongoDB Atlas cluster"},
			subRule{"* * delete|rm", nil, cat, LevelHigh, "deletes MongoDB Atlas resources"},
			subRule{"* delete|rm", nil, cat, LevelHigh, "deletes MongoDB Atlas resources"},
		)},
	}
}

func (a *assessor) cockroach(name string, args []arg, c ctx) {
	p := positionals(args, "--host", "--certs-dir", "--url", "-e", "--execute", "--database", "-d")
	switch strings.Join(firstN(p, 2), " ") {
	case "node decommission", "node drain":
		a.add(CatDatabase, LevelHigh, "`cockroach "+p[0].s+" "+p[1].s+"` removes a database node from the cluster")
		return
	}
	a.sqlClient(name, args, c)
}

// httpDataOp rates HTTP calls to search and cache stores that delete
// data: Elasticsearch/OpenSearch _delete_by_query, Solr delete queries.
func (a *assessor) httpDataOp(name, method, url, body string) {
	u := strings.ToLower(url)
	b := strings.ToLower(body)
	switch {
	case strings.Contains(u, "_delete_by_query"):
		lvl := LevelHigh
		if b == "" || strings.Contains(b, "match_all") || containsAny(u, "/_all/", "/*/") {
			lvl = LevelCritical
		}
		a.add(CatDatabase, lvl, "`"+name+"` runs an Elasticsearch `_delete_by_query` on "+quote(url))
	case strings.Contains(u, "/update") && strings.Contains(b, "<delete>") || strings.Contains(b, "\"delete\"") && strings.Contains(u, "solr"):
		lvl := LevelHigh
		if strings.Contains(b, "*:*") {
			lvl = LevelCritical
		}
		a.add(CatDatabase, lvl, "`"+name+"` deletes Solr documents through "+quote(url))
	case method == "POST" && (strings.HasSuffix(u, "/_close") || strings.Contains(u, "/_close?")):
		a.add(CatDatabase, LevelHigh, "`"+name+"` closes Elasticsearch indices, taking them offline")
	case (oneOf(method, "PUT", "POST")) && strings.Contains(u, "_cluster/settings") && strings.Contains(b, "allocation.enable") && strings.Contains(b, "none"):
		a.add(CatDatabase, LevelMedium, "`"+name+"` disables shard allocation in the Elasticsearch cluster")
	case method == "POST" && strings.Contains(u, "/_flushall"):
		a.add(CatDatabase, LevelCritical, "`"+name+"` deletes every key through an HTTP cache API")
	case oneOf(method, "PURGE", "BAN"):
		a.add(CatDatabase, LevelLow, "`"+name+" -X "+method+"` invalidates cached content")
	}
}
