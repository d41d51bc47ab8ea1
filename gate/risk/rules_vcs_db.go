package risk

import (
	"strings"
)

func (a *assessor) git(args []arg, c ctx) {
	p := positionals(args, "-C", "-c", "--git-dir", "--work-tree", "--namespace")
	if len(p) == 0 {
		return
	}
	for i, x := range args[:indexOf(args, p[0])] {
		if x.s == "-c" && i+1 < len(args) {
			a.gitConfigCode(args[i+1].s, c, "git -c")
		}
	}
	sub, rest := p[0].s, args[indexOf(args, p[0])+1:]
	rest = expandGitLong(sub, rest)
	valued := []string{"-o", "--push-option", "--repo", "-m", "-b", "-B", "--exec", "--receive-pack", "-x", "--upload-pack"}
	if sub == "clone" {
		valued = append(valued, "-u") // clone -u is --upload-pack; push -u is --set-upstream
	}
	rp := positionals(rest, valued...)
	a.gitRunsCode(sub, rest, rp, c)
	if !a.gitWorkTree(sub, rest, rp) {
		a.gitRefs(sub, rest, rp)
	}
}

// gitWorkTree rates subcommands that lose work in the working tree, the
// index or the stash, or print credentials.
func (a *assessor) gitWorkTree(sub string, rest, rp []arg) bool {
	switch sub {
	case "reset":
		if hasFlag(rest, "--hard", "--merge", "--keep") {
			a.add(CatVCSRewrite, LevelHigh, "`git reset --hard` discards uncommitted changes and moves the branch, losing work")
		}
	case "clean", "checkout", "restore":
		a.gitDiscard(sub, rest, rp)
	case "lfs":
		if len(rp) > 1 && rp[0].s == "migrate" && rp[1].s == "import" {
			a.add(CatVCSRewrite, LevelHigh, "`git lfs migrate import` rewrites the repository's history")
		}
	case "filter-branch", "filter-repo":
		a.add(CatVCSRewrite, LevelHigh, "`git "+sub+"` rewrites the repository's history")
	case "branch":
		if hasFlag(rest, "-D") || hasShort(rest, 'D') || hasShort(rest, 'd') && hasShort(rest, 'f') {
			a.add(CatVCSRewrite, LevelMedium, "`git branch -D` force-deletes a branch, including unmerged commits")
		}
	case "stash":
		if len(rp) > 0 && oneOf(rp[0].s, "clear", "drop") {
			a.add(CatVCSRewrite, LevelMedium, "`git stash "+rp[0].s+"` deletes stashed work")
		}
	case "config":
		if anyArg(rest, func(x arg) bool { return strings.Contains(x.s, "credential") }) && hasFlag(rest, "--get", "--get-all", "-l", "--list") {
			a.add(CatSecrets, LevelMedium, "`git config` prints stored credential settings")
		}
	case "credential", "credential-store", "credential-cache":
		if anyArg(rp, func(x arg) bool { return oneOf(x.s, "fill", "get") }) {
			a.add(CatSecrets, LevelHigh, "`git credential fill` prints stored Git credentials")
		}
	default:
		return false
	}
	return true
}

// gitRefs rates subcommands that rewrite or delete history and refs.
func (a *assessor) gitRefs(sub string, rest, rp []arg) {
	switch sub {
	case "push":
		a.gitPush(rest, rp)
	case "reflog":
		if len(rp) > 0 && (oneOf(rp[0].s, "expire", "delete")) {
			a.add(CatVCSRewrite, LevelHigh, "`git reflog "+rp[0].s+"` removes the safety net for recovering lost commits")
		}
	case "gc", "prune":
		if anyArg(rest, func(x arg) bool { return strings.HasPrefix(x.s, "--prune=now") || x.s == "--prune=all" }) || sub == "prune" && hasFlag(rest, "--expire") {
			a.add(CatVCSRewrite, LevelMedium, "`git "+sub+"` permanently deletes unreachable commits")
		}
	case "update-ref":
		if hasShort(rest, 'd') {
			a.add(CatVCSRewrite, LevelHigh, "`git update-ref -d` deletes a ref directly")
		}
	case "rebase":
		a.add(CatVCSRewrite, LevelLow, "`git rebase` rewrites local commits")
	case "tag":
		if hasShort(rest, 'd') || hasFlag(rest, "--delete") {
			a.add(CatVCSRewrite, LevelLow, "`git tag -d` deletes a local tag")
		}
	}
}

func indexOf(args []arg, x arg) int {
	for i := range args {
		if args[i].s == x.s {
			return i
		}
	}
	return 0
}

func (a *assessor) gitPush(rest, rp []arg) {
	force := hasShort(rest, 'f') || hasFlag(rest, "--force")
	lease := hasFlag(rest, "--force-with-lease", "--force-if-includes") || anyArg(rest, func(x arg) bool { return strings.HasPrefix(x.s, "--force-with-lease") })
	protected := ""
	plusRef, deleteRef := false, hasShort(rest, 'd') || hasFlag(rest, "--delete", "--prune")
	tagOnly := true
	for i, x := range rp {
		if i > 0 && !strings.Contains(x.s, "refs/tags/") {
			tagOnly = false
		}
		if i == 0 {
			continue
		}
		if strings.HasPrefix(x.s, "+") {
			plusRef = true
		}
		if strings.HasPrefix(x.s, ":") && len(x.s) > 1 {
			deleteRef = true
		}
		ref := strings.TrimPrefix(x.s, "+")
		if j := strings.LastIndexByte(ref, ':'); j >= 0 {
			ref = ref[j+1:]
		}
		ref = strings.TrimPrefix(ref, "refs/heads/")
		switch ref {
		case "main", "master", "production", "prod", "release", "trunk", "develop", "HEAD":
			protected = ref
		}
	}
	switch {
	case hasFlag(rest, "--mirror"):
		a.add(CatVCSRewrite, LevelCritical, "`git push --mirror` overwrites and deletes every ref on the remote to match the local repository")
	case (force || plusRef) && protected != "":
		a.add(CatVCSRewrite, LevelCritical, "force-pushes to `"+protected+"`, rewriting the shared branch's history")
	case force || plusRef:
		a.add(CatVCSRewrite, LevelHigh, "force-pushes, overwriting history on the remote")
	case lease:
		a.add(CatVCSRewrite, LevelHigh, "`git push --force-with-lease` overwrites history on the remote (only if nobody else pushed)")
	}
	if deleteRef {
		lvl := LevelHigh
		if tagOnly && len(rp) > 1 {
			lvl = LevelMedium
		}
		if protected != "" {
			lvl = LevelCritical
		}
		a.add(CatVCSRewrite, lvl, "`git push` deletes a branch or tag on the remote")
	}
}

// sqlClient handles database shells: the SQL may come from -c/-e, a
// here-document, a pipe or a file.
func (a *assessor) sqlClient(name string, args []arg, c ctx) {
	if name == "bq" {
		a.bigquery(args)
		return
	}
	sql, found := sqlText(name, args)
	if !found && c.stdin == stdinText {
		sql, found = c.hdoc, true
	}
	if found {
		a.sql(name, sql)
		return
	}
	switch c.stdin {
	case stdinFile:
		a.add(CatDatabase, sqlFileLevel(c.hdoc), "`"+name+"` runs the SQL file "+quote(c.hdoc)+", whose content is not visible here")
	case stdinPipe, stdinNet, stdinDecoded:
		a.add(CatDatabase, LevelMedium, "`"+name+"` runs SQL produced by "+quote(c.from)+", which is not visible here")
	}
	if f := flagValue(args, "-f", "--file", "-i", "--input"); f != "" && !redisLike(name) {
		a.add(CatDatabase, sqlFileLevel(f), "`"+name+"` runs the SQL file "+quote(f)+", whose content is not visible here")
	}
}

func (a *assessor) bigquery(args []arg) {
	p := positionals(args, "--project_id", "--location", "--format", "--dataset_id")
	switch {
	case len(p) > 0 && p[0].s == "rm":
		lvl := LevelHigh
		if hasShort(args, 'r') || hasFlag(args, "--recursive") {
			lvl = LevelCritical
		}
		a.add(CatDatabase, lvl, "`bq rm` deletes BigQuery datasets or tables")
	case len(p) > 1 && p[0].s == "query":
		a.sql("bq", joinArgs(p[1:]))
	}
}

// sqlText collects the statements given on the command line: -c/-e/-q
// options, and the trailing words of sqlite3, duckdb and redis-cli.
func sqlText(name string, args []arg) (string, bool) {
	var sql strings.Builder
	for i, x := range args {
		if oneOf(x.s, "-c", "--command", "-e", "--execute", "-q", "-Q", "--query", "--eval", "-cmd") && i+1 < len(args) && !sqlFlagIsNotSQL(name, x.s) {
			sql.WriteString(args[i+1].s + ";")
		}
		for _, pre := range []string{"--command=", "--execute=", "--query=", "--eval="} {
			if v, ok := strings.CutPrefix(x.s, pre); ok {
				sql.WriteString(v + ";")
			}
		}
	}
	p := positionals(args, "-h", "-p", "-a", "-n", "-u", "--user", "--pass", "-cmd")
	switch {
	case oneOf(name, "sqlite3", "duckdb") && len(p) > 1:
		sql.WriteString(joinArgs(p[1:]) + ";")
	case redisLike(name) && len(p) > 0:
		sql.WriteString(joinArgs(p) + ";")
	}
	return sql.String(), sql.Len() > 0
}

// sqlFlagIsNotSQL: mysql -c keeps comments, psql/sqlcmd -e echoes queries.
func sqlFlagIsNotSQL(name, flag string) bool {
	return flag == "-c" && oneOf(name, "mysql", "mariadb") || flag == "-e" && oneOf(name, "psql", "sqlcmd")
}

// sqlFileLevel judges an unseen SQL file by its name.
func sqlFileLevel(f string) Level {
	l := strings.ToLower(baseName(f))
	for _, w := range []string{"drop", "truncate", "reset", "wipe", "destroy", "purge", "delete", "cleanup", "down"} {
		if strings.Contains(l, w) {
			return LevelMedium
		}
	}
	return LevelLow
}

// sql rates SQL (or Redis/Mongo) statements.
func (a *assessor) sql(client, text string) {
	u := strings.ToUpper(text)
	for _, stmt := range strings.Split(u, ";") {
		st := strings.Join(strings.Fields(stmt), " ")
		if st == "" {
			continue
		}
		lvl, why := sqlStatement(st)
		if lvl > LevelNone {
			a.add(CatDatabase, lvl, "`"+client+"` runs "+quote(shorten(strings.TrimSpace(stmt), 50))+": "+why)
		}
	}
}

func sqlStatement(st string) (Level, string) {
	switch {
	case containsAny(st, "DROP DATABASE", "DROP SCHEMA", "DROPDATABASE()", "DROP KEYSPACE", "FLUSHALL", "DROP OWNED"):
		return LevelCritical, "drops a whole database"
	case containsAny(st, "DROP TABLE", "DROP COLLECTION", ".DROP()", "DROP MATERIALIZED", "FLUSHDB", "DROP USER", "DROP ROLE"):
		return LevelCritical, "drops data irrecoverably"
	case strings.HasPrefix(st, "TRUNCATE") || strings.Contains(st, " TRUNCATE "):
		return LevelCritical, "empties a table"
	case containsAny(st, "DELETEMANY({})", "REMOVE({})", "DELETEMANY()"):
		return LevelCritical, "deletes every document in a collection"
	case strings.HasPrefix(st, "DELETE") || strings.Contains(st, " DELETE FROM"):
		if !strings.Contains(st, " WHERE ") {
			return LevelCritical, "deletes every row (no WHERE clause)"
		}
		return LevelMedium, "deletes rows"
	case strings.HasPrefix(st, "UPDATE ") || strings.Contains(st, " UPDATE "):
		return sqlUpdate(st)
	}
	return sqlSchema(st)
}

func sqlUpdate(st string) (Level, string) {
	switch {
	case !strings.Contains(st, " SET "):
		return LevelNone, ""
	case !strings.Contains(st, " WHERE "):
		return LevelHigh, "updates every row (no WHERE clause)"
	}
	return LevelMedium, "updates rows"
}

// sqlSchema rates schema, privilege and server statements.
func sqlSchema(st string) (Level, string) {
	switch {
	case strings.HasPrefix(st, "ALTER") && containsAny(st, " DROP ", " RENAME "):
		return LevelHigh, "alters a table and drops or renames a column or constraint"
	case strings.HasPrefix(st, "DROP"):
		return LevelHigh, "drops a database object"
	case strings.HasPrefix(st, "GRANT") && containsAny(st, "ALL", "SUPERUSER"), containsAny(st, "ALTER USER", "ALTER ROLE") && strings.Contains(st, "SUPERUSER"):
		return LevelHigh, "grants broad database privileges"
	case strings.Contains(st, "COPY") && strings.Contains(st, "PROGRAM"):
		return LevelHigh, "runs a program on the database server"
	case containsAny(st, "INTO OUTFILE", "INTO DUMPFILE"):
		return LevelMedium, "writes query results to a file on the server"
	case hasPrefixAny(st, "CONFIG SET", "SLAVEOF", "REPLICAOF", "MODULE LOAD"):
		return LevelHigh, "reconfigures the server (a common way to plant files or take over the host)"
	case hasPrefixAny(st, "DEL ", "UNLINK ", "SHUTDOWN", "DEBUG"):
		return LevelMedium, "deletes keys or reconfigures the server"
	case hasPrefixAny(st, "ALTER", "REVOKE"):
		return LevelMedium, "changes the schema or privileges"
	case hasPrefixAny(st, "INSERT", "CREATE", "GRANT", "SET ", "VACUUM", "REINDEX"):
		return LevelLow, "changes data or schema"
	}
	return LevelNone, ""
}

// migrations rates schema-migration and framework database commands.
func (a *assessor) migrations(tool string, args []arg) {
	l := strings.ToLower(joinArgs(args))
	if p := positionals(args, "-e", "--environment"); len(p) > 0 && (p[0].s == "credentials:show" || p[0].s == "secret" && tool == "rails") {
		a.add(CatSecrets, LevelHigh, "`"+tool+" "+p[0].s+"` prints the application's encrypted secrets in clear text")
		return
	}
	if p := positionals(args, "-e", "--environment", "--settings"); len(p) > 1 && (oneOf(p[0].s, "runner", "r", "shell", "tinker", "eval", "rpc")) {
		code := p[1].s
		if v := flagValue(args, "-c", "--command", "--execute"); v != "" {
			code = v
		}
		a.code(tool, code, ctx{})
		return
	}
	type rule struct {
		words []string
		lvl   Level
		why   string
	}
	rules := []rule{
		{[]string{"db:drop", "db:reset", "migrate reset", "migrate:fresh", "migrate:reset", "db:wipe", "ecto.drop", "ecto.reset", "schema:drop", "drop-all", "dropall", "flush", "force-reset", "--force-reset", "db:schema:load", "db:purge", "clean", "drop", "reset", "migrate:refresh", "db push --accept-data-loss", "downgrade base", "down-to 0", "db:migrate:undo:all"}, LevelCritical, "drops or resets the database, deleting its data"},
		{[]string{"revert", "migrate:rollback", "db:rollback", "migration:down", "rollback", "downgrade", "migrate:down", "db:migrate:down", "migration:revert", "migrate:undo", "db:migrate:undo", "ecto.rollback", "down", "redo", "zero", "--accept-data-loss", "undo"}, LevelHigh, "rolls back migrations, which can drop tables or columns"},
		{[]string{"migrate", "upgrade", "up", "deploy", "db:seed", "seed", "push", "apply", "update"}, LevelLow, "applies schema migrations"},
	}
	for _, r := range rules {
		for _, w := range r.words {
			if containsWord(l, w) {
				a.add(CatDatabase, r.lvl, "`"+tool+" "+shorten(l, 40)+"` "+r.why)
				return
			}
		}
	}
}

// containsWord reports whether w occurs in s on word boundaries.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || strings.IndexByte(" =", s[j-1]) >= 0
		after := j+len(w) == len(s) || strings.IndexByte(" :", s[j+len(w)]) >= 0 || s[j+len(w)] == '['
		if before && after {
			return true
		}
		i = j + 1
	}
}

// vcsFamilies rates Git and history-rewriting tools.
func vcsFamilies() []family {
	return []family{
		{[]string{"git"}, onArgsCtx((*assessor).git)},
		{[]string{"bfg", "git-filter-repo"}, fixed(CatVCSRewrite, LevelHigh, "rewrites the repository's history")},
	}
}

// dbFamilies rates database shells, admin tools and migration frameworks.
func dbFamilies() []family {
	return []family{
		{[]string{"psql", "mysql", "mariadb", "sqlite3", "sqlcmd", "clickhouse-client", "clickhouse", "mongo", "mongosh", "redis-cli", "cqlsh", "duckdb", "snowsql", "bq", "trino", "presto", "vsql", "isql", "valkey-cli", "keydb-cli", "osql"}, (*assessor).sqlClient},
		{[]string{"DROP", "TRUNCATE", "DELETE", "ALTER", "UPDATE", "GRANT", "FLUSHALL", "FLUSHDB"}, func(a *assessor, name string, args []arg, _ ctx) {
			// SQL pasted where a shell command goes: the shell fails,
			// but the text says what was meant to run.
			a.sql("SQL", name+" "+joinArgs(args))
		}},
		{[]string{"dropdb", "dropuser", "mysqladmin", "mongorestore", "pg_restore", "pg_dropcluster"}, onNameArgs((*assessor).dbAdmin)},
		{[]string{"rails", "rake", "manage.py", "django-admin", "artisan", "rails-runner", "prisma", "flyway", "liquibase", "alembic", "knex", "sequelize", "sequelize-cli", "typeorm",
			"goose", "migrate", "dbmate", "sqlx", "diesel", "atlas", "drizzle-kit", "db-migrate", "node-pg-migrate", "mix", "sqitch", "skeema", "refinery", "ef", "dotnet-ef", "flask", "console"}, onNameArgs((*assessor).migrations)},
		{[]string{"dotnet"}, onArgs(func(a *assessor, args []arg) {
			if len(args) > 1 && args[0].s == "ef" {
				a.migrations("dotnet ef", args[1:])
			}
		})},
		{[]string{"influx", "etcdctl", "nodetool"}, onNameArgs((*assessor).dataStore)},
	}
}

func redisLike(name string) bool {
	return oneOf(name, "redis-cli", "valkey-cli", "keydb-cli")
}
