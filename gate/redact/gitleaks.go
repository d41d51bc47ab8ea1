package redact

func gitleaksFind(t string) [][2]int { return nil }
