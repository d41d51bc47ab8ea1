package ghstandin

import (
	"encoding/base64"
	"strings"
	"time"
)

// The JSON shapes below follow GitHub's REST and webhook objects closely
// enough to pass GitHub's OpenAPI description; links point back at the
// stand-in. Callers hold s.mu.

type obj = map[string]any

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) web() string { return s.URL() + "/_standin" }

func nodeID(kind string, id int64) string {
	return base64.RawStdEncoding.EncodeToString([]byte(kind + ":" + itoa(id)))
}

func (s *Server) userJSON(u *user) obj {
	api, web := s.URL()+"/users/"+u.Login, s.web()+"/users/"+u.Login
	return obj{
		"login": u.Login, "id": u.ID, "node_id": nodeID(u.Type, u.ID),
		"avatar_url": web + "/avatar", "gravatar_id": "", "url": api, "html_url": web,
		"followers_url": api + "/followers", "following_url": api + "/following{/other_user}",
		"gists_url": api + "/gists{/gist_id}", "starred_url": api + "/starred{/owner}{/repo}",
		"subscriptions_url": api + "/subscriptions", "organizations_url": api + "/orgs",
		"repos_url": api + "/repos", "events_url": api + "/events{/privacy}",
		"received_events_url": api + "/received_events", "type": u.Type, "site_admin": false,
	}
}

var appPermissions = obj{"checks": "write", "contents": "read", "issues": "write", "pull_requests": "write", "members": "read", "metadata": "read"}

var appEvents = []string{"check_run", "commit_comment", "issue_comment"}

func (s *Server) appJSON() obj {
	owner := s.st.ensureUser("stepgate-org", "Organization")
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	return obj{
		"id": s.opts.AppID, "slug": s.opts.AppSlug, "node_id": nodeID("Integration", s.opts.AppID),
		"owner": s.userJSON(owner), "name": s.opts.AppName,
		"description": "Per-command approval gate (local stand-in)", "external_url": s.URL(),
		"html_url":   s.web() + "/apps/" + s.opts.AppSlug,
		"created_at": ts(created), "updated_at": ts(created),
		"permissions": appPermissions, "events": appEvents,
	}
}

func (s *Server) installationJSON(in *installation) obj {
	acct := s.st.ensureUser(in.Account, "Organization")
	api := s.URL()
	return obj{
		"id": in.ID, "account": s.userJSON(acct), "repository_selection": "all",
		"access_tokens_url": api + "/app/installations/" + itoa(in.ID) + "/access_tokens",
		"repositories_url":  api + "/installation/repositories",
		"html_url":          s.web() + "/installations/" + itoa(in.ID),
		"app_id":            s.opts.AppID, "app_slug": s.opts.AppSlug, "target_id": acct.ID, "target_type": acct.Type,
		"permissions": appPermissions, "events": appEvents,
		"created_at": ts(in.Created), "updated_at": ts(in.Created),
		"single_file_name": nil, "suspended_by": nil, "suspended_at": nil,
	}
}

// repoJSON is the repository object of webhook payloads (the commonly
// used subset of its fields).
func (s *Server) repoJSON(r *repo) obj {
	owner := s.st.ensureUser(r.Owner, "")
	api := s.URL() + "/repos/" + r.fullName()
	return obj{
		"id": r.ID, "node_id": nodeID("Repository", r.ID), "name": r.Name, "full_name": r.fullName(),
		"private": r.Private, "owner": s.userJSON(owner), "html_url": s.web() + "/" + r.fullName(),
		"description": nil, "fork": false, "url": api, "default_branch": r.DefaultBranch,
		"visibility": map[bool]string{true: "private", false: "public"}[r.Private],
		"archived":   false, "disabled": false,
		"created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z", "pushed_at": "2024-01-02T03:04:05Z",
	}
}

func (s *Server) contentJSON(r *repo, path, content string) obj {
	sha := BlobSHA(content)
	api := s.URL() + "/repos/" + r.fullName()
	self := api + "/contents/" + path + "?ref=" + r.DefaultBranch
	html := s.web() + "/" + r.fullName() + "/blob/" + r.DefaultBranch + "/" + path
	git := api + "/git/blobs/" + sha
	name := path[strings.LastIndex(path, "/")+1:]
	return obj{
		"type": "file", "encoding": "base64", "size": len(content), "name": name, "path": path,
		"content": wrap76(base64.StdEncoding.EncodeToString([]byte(content))), "sha": sha,
		"url": self, "git_url": git, "html_url": html,
		"download_url": s.URL() + "/_standin/raw/" + r.fullName() + "/" + r.DefaultBranch + "/" + path,
		"_links":       obj{"self": self, "git": git, "html": html},
	}
}

// wrap76 breaks base64 into lines the way GitHub's contents API does.
func wrap76(b string) string {
	var sb strings.Builder
	for len(b) > 60 {
		sb.WriteString(b[:60])
		sb.WriteByte('\n')
		b = b[60:]
	}
	sb.WriteString(b)
	sb.WriteByte('\n')
	return sb.String()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) pullsFor(r *repo, sha string) []any {
	out := []any{}
	for _, p := range r.Pulls {
		if p.HeadSHA != sha {
			continue
		}
		rj := obj{"id": r.ID, "url": s.URL() + "/repos/" + r.fullName(), "name": r.Name}
		out = append(out, obj{
			"id": int64(p.Number) + r.ID*1000, "number": p.Number,
			"url":  s.URL() + "/repos/" + r.fullName() + "/pulls/" + itoa(int64(p.Number)),
			"head": obj{"ref": p.HeadRef, "sha": p.HeadSHA, "repo": rj},
			"base": obj{"ref": p.BaseRef, "sha": strings.Repeat("b", 40), "repo": rj},
		})
	}
	return out
}

func (s *Server) checkRunJSON(c *CheckRun) obj {
	r := s.st.repos[c.Repo]
	api := s.URL() + "/repos/" + c.Repo
	return obj{
		"id": c.ID, "node_id": nodeID("CheckRun", c.ID), "head_sha": c.HeadSHA, "name": c.Name,
		"external_id": c.ExternalID, "url": api + "/check-runs/" + itoa(c.ID),
		"html_url": s.web() + "/#check-run-" + itoa(c.ID), "details_url": c.DetailsURL,
		"status": c.Status, "conclusion": nullable(c.Conclusion),
		"started_at": ts(c.StartedAt), "completed_at": ts(c.CompletedAt),
		"output": obj{
			"title": nullable(c.Title), "summary": nullable(c.Summary), "text": nullable(c.Text),
			"annotations_count": 0, "annotations_url": api + "/check-runs/" + itoa(c.ID) + "/annotations",
		},
		"check_suite":   obj{"id": c.ID/2 + 5000},
		"app":           s.appJSON(),
		"pull_requests": s.pullsFor(r, c.HeadSHA),
	}
}

func reactions(url string) obj {
	return obj{"url": url + "/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0,
		"hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0}
}

func (s *Server) association(c *Comment) string {
	r := s.st.repos[c.Repo]
	if r != nil && r.Owner == c.Login {
		return "OWNER"
	}
	if r != nil && r.Perms[c.Login] != "" {
		return "COLLABORATOR"
	}
	return "NONE"
}

func (s *Server) issueCommentJSON(c *Comment) obj {
	api := s.URL() + "/repos/" + c.Repo
	u := s.st.ensureUser(c.Login, "")
	url := api + "/issues/comments/" + itoa(c.ID)
	return obj{
		"id": c.ID, "node_id": nodeID("IssueComment", c.ID), "url": url,
		"html_url":  s.web() + "/" + c.Repo + "/pull/" + itoa(int64(c.Number)) + "#issuecomment-" + itoa(c.ID),
		"issue_url": api + "/issues/" + itoa(int64(c.Number)),
		"body":      c.Body, "user": s.userJSON(u), "author_association": s.association(c),
		"created_at": ts(c.Created), "updated_at": ts(c.Updated), "reactions": reactions(url),
	}
}

func (s *Server) commitCommentJSON(c *Comment) obj {
	api := s.URL() + "/repos/" + c.Repo
	u := s.st.ensureUser(c.Login, "")
	url := api + "/comments/" + itoa(c.ID)
	return obj{
		"id": c.ID, "node_id": nodeID("CommitComment", c.ID), "url": url,
		"html_url": s.web() + "/" + c.Repo + "/commit/" + c.CommitID + "#commitcomment-" + itoa(c.ID),
		"body":     c.Body, "user": s.userJSON(u), "author_association": s.association(c),
		"commit_id": c.CommitID, "path": nil, "position": nil, "line": nil,
		"created_at": ts(c.Created), "updated_at": ts(c.Updated), "reactions": reactions(url),
	}
}
