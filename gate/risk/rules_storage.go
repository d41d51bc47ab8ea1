package risk

// storageFamilies rates object-storage CLIs other than aws/gcloud/az:
// MinIO's mc, s3cmd, AzCopy, Backblaze b2.
func storageFamilies() []family {
	const cat = CatCloud
	return []family{
		{[]string{"mc", "mcli"}, table([]string{"--config-dir", "-C"},
			subRule{"rb", []string{"--force"}, cat, LevelCritical, "deletes a bucket with everything in it"},
			subRule{"rb", nil, cat, LevelHigh, "deletes a bucket"},
			subRule{"rm", []string{"--recursive", "-r"}, cat, LevelHigh, "deletes every object under the prefix"},
			subRule{"rm", nil, cat, LevelMedium, "deletes objects"},
			subRule{"mirror", []string{"--remove", "--overwrite"}, cat, LevelMedium, "mirrors and deletes objects missing from the source"},
			subRule{"admin bucket|user|policy|group remove|rm|delete", nil, cat, LevelHigh, "deletes MinIO users, policies or buckets"},
			subRule{"admin service stop|restart", nil, cat, LevelHigh, "stops or restarts the MinIO server"},
			subRule{"retention|legalhold clear", nil, cat, LevelMedium, "removes object locks"},
			subRule{"anonymous|policy set", []string{"public", "download"}, CatNetworkExposure, LevelHigh, "makes a bucket public"},
		)},
		{[]string{"s3cmd"}, table([]string{"-c", "--config"},
			subRule{"rb", []string{"--recursive", "-r", "--force", "-f"}, cat, LevelCritical, "deletes a bucket with everything in it"},
			subRule{"rb", nil, cat, LevelHigh, "deletes a bucket"},
			subRule{"del|rm", []string{"--recursive", "-r"}, cat, LevelHigh, "deletes every object under the prefix"},
			subRule{"del|rm", nil, cat, LevelMedium, "deletes objects"},
			subRule{"sync", []string{"--delete-removed"}, cat, LevelMedium, "deletes objects at the destination that are missing from the source"},
			subRule{"setacl", []string{"--acl-public"}, CatNetworkExposure, LevelHigh, "makes objects public"},
		)},
		{[]string{"azcopy"}, table(nil,
			subRule{"remove|rm", []string{"--recursive"}, cat, LevelHigh, "deletes every blob under the path"},
			subRule{"remove|rm", nil, cat, LevelMedium, "deletes blobs"},
			subRule{"sync", []string{"--delete-destination=true", "--delete-destination=prompt"}, cat, LevelMedium, "deletes blobs at the destination that are missing from the source"},
		)},
		{[]string{"b2"}, table(nil,
			subRule{"delete-bucket", []string{"--force"}, cat, LevelCritical, "deletes a bucket with everything in it"},
			subRule{"delete-bucket", nil, cat, LevelHigh, "deletes a bucket"},
			subRule{"bucket delete", nil, cat, LevelHigh, "deletes a bucket"},
			subRule{"rm", []string{"--recursive", "--versions"}, cat, LevelHigh, "deletes every file (or version) under the path"},
			subRule{"rm|delete-file-version|file delete", nil, cat, LevelMedium, "deletes files"},
			subRule{"sync", []string{"--delete", "--keep-days"}, cat, LevelMedium, "deletes files at the destination that are missing from the source"},
		)},
	}
}
