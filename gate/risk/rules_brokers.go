package risk

import (
	"strings"
)

// brokerFamilies rates message brokers and queues: deleting a topic or
// purging a queue loses messages nobody has processed yet.
func brokerFamilies() []family {
	const cat = CatMessaging
	return []family{
		{[]string{"kafka-topics", "kafka-topics.sh"}, table(nil,
			subRule{"", []string{"--delete"}, cat, LevelHigh, "deletes Kafka topics with their messages"},
			subRule{"", []string{"--alter"}, cat, LevelMedium, "changes topic partitions or configuration"},
		)},
		{[]string{"kafka-consumer-groups", "kafka-consumer-groups.sh"}, table(nil,
			subRule{"", []string{"--delete", "--delete-offsets"}, cat, LevelHigh, "deletes consumer groups or their offsets"},
			subRule{"", []string{"--reset-offsets"}, cat, LevelMedium, "rewinds or skips consumers' positions (with --execute it applies)"},
		)},
		{[]string{"kafka-delete-records", "kafka-delete-records.sh"}, fixed(cat, LevelHigh, "deletes records from Kafka partitions")},
		{[]string{"kafka-configs", "kafka-configs.sh"}, onArgs((*assessor).kafkaConfigs)},
		{[]string{"kafka-acls", "kafka-acls.sh"}, table(nil,
			subRule{"", []string{"--remove"}, cat, LevelMedium, "removes Kafka ACLs"},
			subRule{"", []string{"--add"}, CatPrivilege, LevelLow, "grants Kafka ACLs"},
		)},
		{[]string{"kafka-storage", "kafka-storage.sh"}, table(nil,
			subRule{"format", nil, cat, LevelCritical, "formats a broker's log directories"},
		)},
		{[]string{"rpk"}, table([]string{"-X", "--brokers", "--profile"},
			subRule{"topic delete|trim-prefix", nil, cat, LevelHigh, "deletes Redpanda topics or their records"},
			subRule{"group delete|seek", nil, cat, LevelMedium, "deletes or moves consumer groups"},
			subRule{"cluster|redpanda * decommission|delete|purge", nil, cat, LevelHigh, "decommissions brokers or deletes cluster data"},
			subRule{"acl delete", nil, cat, LevelMedium, "deletes ACLs"},
		)},
		{[]string{"rabbitmqctl", "rabbitmq-plugins"}, table([]string{"-n", "--node", "-p", "--vhost", "-t", "--timeout"},
			subRule{"reset|force_reset|force_boot", nil, cat, LevelCritical, "wipes the node's queues, users and configuration"},
			subRule{"delete_queue|purge_queue|delete_vhost|clear_policy|delete_queues", nil, cat, LevelHigh, "deletes queues, virtual hosts or their messages"},
			subRule{"forget_cluster_node|stop_app|stop|shutdown", nil, cat, LevelHigh, "stops the broker or removes a cluster node"},
			subRule{"delete_user|clear_permissions", nil, cat, LevelMedium, "removes broker users or their permissions"},
			subRule{"close_all_connections", nil, cat, LevelMedium, "drops every client connection"},
			subRule{"disable", nil, cat, LevelMedium, "disables broker plugins"},
		)},
		{[]string{"rabbitmqadmin"}, table([]string{"-H", "--host", "-P", "--port", "-V", "--vhost", "-u", "--username", "-p", "--password", "-c", "--config", "-N", "--node"},
			subRule{"delete|purge", nil, cat, LevelHigh, "deletes or purges queues, exchanges or virtual hosts"},
			subRule{"close", nil, cat, LevelMedium, "closes client connections"},
		)},
		{[]string{"nats"}, table([]string{"-s", "--server", "--creds", "--context", "--user", "--password", "--nkey"},
			subRule{"stream|str|consumer|con|kv|object|obj rm|del|delete|purge", nil, cat, LevelHigh, "deletes JetStream streams, consumers or buckets"},
			subRule{"stream|str rmm", nil, cat, LevelMedium, "deletes a message from a stream"},
			subRule{"account|server * purge|delete|rm", nil, cat, LevelHigh, "deletes account or server data"},
		)},
		{[]string{"pulsar-admin", "pulsarctl"}, table([]string{"--admin-url", "--auth-params", "--auth-plugin"},
			subRule{"topics|namespaces|tenants|clusters|functions|sinks|sources|schemas delete|delete-partitioned-topic|unload|truncate", nil, cat, LevelHigh, "deletes Pulsar topics, namespaces or tenants"},
			subRule{"topics|namespaces clear-backlog|skip-all|reset-cursor|clear-namespace-backlog", nil, cat, LevelHigh, "discards unconsumed messages"},
		)},
		{[]string{"artemis"}, table(nil,
			subRule{"queue|address delete|purge", nil, cat, LevelHigh, "deletes ActiveMQ Artemis queues or their messages"},
		)},
		{[]string{"activemq"}, table(nil,
			subRule{"purge|stop", nil, cat, LevelHigh, "purges queues or stops the broker"},
		)},
		{[]string{"emqx", "emqx_ctl"}, table(nil,
			subRule{"* delete|clean|purge|stop", nil, cat, LevelHigh, "deletes MQTT data or stops the broker"},
		)},
		{[]string{"zkCli.sh", "zookeeper-shell", "zookeeper-shell.sh", "zkcli"}, onArgsCtx((*assessor).zookeeper)},
	}
}

func (a *assessor) kafkaConfigs(args []arg) {
	if !hasFlag(args, "--alter") {
		return
	}
	v := flagValue(args, "--add-config")
	lvl := LevelMedium
	if containsAny(v, "retention.ms=", "retention.bytes=", "cleanup.policy=delete") {
		lvl = LevelHigh
	}
	a.add(CatMessaging, lvl, "`kafka-configs --alter "+shorten(v, 40)+"` changes topic or broker configuration (short retention deletes messages)")
}

func (a *assessor) zookeeper(args []arg, c ctx) {
	text := strings.ToLower(joinArgs(positionals(args, "-server", "-timeout")))
	if c.stdin == stdinText {
		text += " " + strings.ToLower(c.hdoc)
	}
	switch {
	case containsAny(text, "deleteall", "rmr"):
		a.add(CatDatabase, LevelCritical, "ZooKeeper `deleteall` removes a whole tree of coordination data")
	case strings.Contains(text, "delete "):
		a.add(CatDatabase, LevelHigh, "ZooKeeper `delete` removes coordination data")
	}
}
