package risk

// backupFamilies rates backup and snapshot tools: deleting snapshots,
// pruning repositories and dropping retention is how backups are lost.
func backupFamilies() []family {
	const cat = CatBackup
	return []family{
		{[]string{"restic"}, table([]string{"-r", "--repo", "-p", "--password-file", "--password-command", "--cache-dir", "-o", "--option", "--repository-file", "--tag", "--host", "--path", "--limit-upload", "--limit-download", "--pack-size"},
			subRule{"forget|prune", []string{"--dry-run", "-n"}, cat, LevelLow, "shows what would be removed (dry run)"},
			subRule{"forget", []string{"--prune"}, cat, LevelHigh, "forgets snapshots and deletes their data from the repository"},
			subRule{"forget", nil, cat, LevelHigh, "removes snapshots from the repository"},
			subRule{"prune", nil, cat, LevelHigh, "deletes data no snapshot refers to"},
			subRule{"key remove|rm", nil, cat, LevelHigh, "removes a repository key, which can lock everyone out of the backups"},
			subRule{"unlock", []string{"--remove-all"}, cat, LevelMedium, "removes every lock, including those of running backups"},
			subRule{"cache", []string{"--cleanup"}, cat, LevelLow, "removes old local caches"},
			subRule{"restore", []string{"--delete"}, cat, LevelHigh, "restores and deletes files at the target that are not in the snapshot"},
			subRule{"rewrite|recover|repair", []string{"--forget"}, cat, LevelHigh, "rewrites snapshots and forgets the originals"},
			subRule{"restore", nil, cat, LevelLow, "restores files over the target directory"},
		)},
		{[]string{"borg", "borgmatic"}, table([]string{"--rsh", "--remote-path", "--lock-wait", "--umask", "-a", "--glob-archives", "--match-archives", "-P", "--prefix", "--keep-within", "--keep-last", "--keep-daily", "--keep-weekly", "--keep-monthly", "--keep-yearly", "-c", "--config"},
			subRule{"delete|rdelete|rm|prune|recreate", []string{"--dry-run", "-n"}, cat, LevelLow, "shows what would be removed (dry run)"},
			subRule{"delete|rdelete|rm", nil, cat, LevelHigh, "deletes backup archives or the whole repository"},
			subRule{"prune", nil, cat, LevelHigh, "deletes archives outside the retention rules"},
			subRule{"compact", nil, cat, LevelMedium, "frees the space of deleted archives, after which they cannot be recovered"},
			subRule{"recreate", nil, cat, LevelHigh, "rewrites archives and can drop their data"},
			subRule{"break-lock", nil, cat, LevelMedium, "breaks the repository lock, which can corrupt a running backup"},
			subRule{"key change-passphrase|migrate-to-repokey", nil, cat, LevelMedium, "changes how the repository key is protected"},
			subRule{"transfer|upgrade", nil, cat, LevelLow, "changes the repository format"},
		)},
		{[]string{"velero"}, table([]string{"-n", "--namespace", "--kubeconfig", "--kubecontext", "--selector", "-l", "--from-backup", "--from-schedule"},
			subRule{"uninstall", nil, cat, LevelCritical, "removes Velero and its backups' definitions from the cluster"},
			subRule{"backup|restore|schedule|backup-location|snapshot-location|repo delete", nil, cat, LevelHigh, "deletes backups, restores or their schedules"},
			subRule{"delete", nil, cat, LevelHigh, "deletes backup objects"},
			subRule{"restore create", nil, CatContainers, LevelMedium, "restores cluster resources from a backup over the live cluster"},
		)},
		{[]string{"kopia"}, table([]string{"--config-file", "--password", "-p"},
			subRule{"snapshot delete|rm", nil, cat, LevelHigh, "deletes snapshots"},
			subRule{"snapshot expire", []string{"--delete"}, cat, LevelHigh, "deletes snapshots outside the retention policy"},
			subRule{"maintenance run", []string{"--full"}, cat, LevelLow, "runs full maintenance, which deletes unreferenced data"},
			subRule{"repository disconnect", nil, cat, LevelLow, "disconnects from the repository"},
			subRule{"policy set|delete", nil, cat, LevelMedium, "changes or removes the retention policy"},
			subRule{"blob|content|index delete|rm|gc", nil, cat, LevelHigh, "deletes repository data directly"},
		)},
		{[]string{"duplicity"}, table(nil,
			subRule{"remove-older-than|remove-all-but-n-full|remove-all-inc-of-but-n-full", nil, cat, LevelHigh, "deletes backup sets"},
			subRule{"cleanup", []string{"--force"}, cat, LevelMedium, "deletes incomplete backup sets"},
		)},
		{[]string{"tarsnap"}, onArgs((*assessor).tarsnap)},
		{[]string{"pgbackrest"}, table([]string{"--stanza", "--repo", "--type", "--set", "--pg1-path", "--config"},
			subRule{"stanza-delete", nil, cat, LevelCritical, "deletes the stanza and every backup of the database"},
			subRule{"expire", nil, cat, LevelHigh, "deletes backups and WAL outside the retention"},
			subRule{"restore", []string{"--delta", "--force"}, CatDatabase, LevelHigh, "overwrites the database's data directory"},
			subRule{"restore", nil, CatDatabase, LevelMedium, "restores the database's data directory"},
		)},
		{[]string{"wal-g", "wal-e"}, table([]string{"--config"},
			subRule{"delete", []string{"--confirm"}, cat, LevelHigh, "deletes base backups and WAL segments"},
			subRule{"delete", nil, cat, LevelMedium, "plans deleting base backups (dry run without --confirm)"},
			subRule{"backup-fetch", nil, CatDatabase, LevelMedium, "restores a base backup over a data directory"},
		)},
		{[]string{"barman"}, table([]string{"-c", "--config"},
			subRule{"delete", nil, cat, LevelHigh, "deletes a database backup"},
			subRule{"recover", nil, CatDatabase, LevelMedium, "restores a backup over a data directory"},
		)},
		{[]string{"snapper", "timeshift"}, table([]string{"-c", "--config", "--snapshot-device"},
			subRule{"delete|rm", nil, cat, LevelHigh, "deletes filesystem snapshots"},
			subRule{"", []string{"--delete", "--delete-all"}, cat, LevelHigh, "deletes filesystem snapshots"},
			subRule{"rollback|undochange", nil, cat, LevelHigh, "rolls the filesystem back to a snapshot"},
			subRule{"", []string{"--restore"}, cat, LevelHigh, "rolls the filesystem back to a snapshot"},
		)},
		{[]string{"rdiff-backup"}, table(nil,
			subRule{"", []string{"--remove-older-than"}, cat, LevelHigh, "deletes old increments"},
			subRule{"remove", nil, cat, LevelHigh, "deletes old increments"},
		)},
		{[]string{"bconsole", "urbackupclientctl", "rear"}, table(nil,
			subRule{"delete|purge|prune", nil, cat, LevelHigh, "deletes backup volumes or jobs"},
			subRule{"recover", nil, cat, LevelHigh, "restores the whole system from a backup"},
		)},
	}
}

func (a *assessor) tarsnap(args []arg) {
	switch {
	case hasFlag(args, "--nuke"):
		a.add(CatBackup, LevelCritical, "`tarsnap --nuke` deletes every archive of the machine")
	case hasShort(args, 'd'):
		a.add(CatBackup, LevelHigh, "`tarsnap -d` deletes backup archives")
	case hasFlag(args, "--fsck-prune"):
		a.add(CatBackup, LevelMedium, "`tarsnap --fsck-prune` deletes corrupted archives")
	}
}
