package ghstandin

import (
	"net/http"
	"strconv"
	"strings"
)

// getPull is GET /repos/{owner}/{repo}/pulls/{pull_number}: the App reads
// a pull request's head commit and author from here, never from the
// request body a workflow sends.
func (s *Server) getPull(r *http.Request, _ []byte, a auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoFor(r, a)
	if !ok {
		return notFound
	}
	n, err := strconv.Atoi(r.PathValue("pull_number"))
	if err != nil {
		return notFound
	}
	p, ok := rp.Pulls[n]
	if !ok {
		return notFound
	}
	return jsonReply(http.StatusOK, s.pullJSON(rp, p))
}

// pullJSON is GitHub's full pull-request object (components/schemas/pull-request).
func (s *Server) pullJSON(r *repo, p *PullRequest) obj {
	api := s.URL() + "/repos/" + r.fullName()
	n := itoa(int64(p.Number))
	html := s.web() + "/" + r.fullName() + "/pull/" + n
	author := p.Author
	if author == "" {
		author = r.Owner
	}
	u := s.userJSON(s.st.ensureUser(author, ""))
	id := r.ID*1000 + int64(p.Number)
	state := "open"
	if p.Closed {
		state = "closed"
	}
	link := func(h string) obj { return obj{"href": h} }
	side := func(ref, sha string) obj {
		return obj{"label": r.Owner + ":" + ref, "ref": ref, "sha": sha, "user": u, "repo": s.fullRepoJSON(r)}
	}
	base := p.BaseSHA
	if base == "" {
		base = strings.Repeat("b", 40)
	}
	return obj{
		"url": api + "/pulls/" + n, "id": id, "node_id": nodeID("PullRequest", id), "html_url": html,
		"diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": api + "/issues/" + n,
		"commits_url": api + "/pulls/" + n + "/commits", "review_comments_url": api + "/pulls/" + n + "/comments",
		"review_comment_url": api + "/pulls/comments{/number}", "comments_url": api + "/issues/" + n + "/comments",
		"statuses_url": api + "/statuses/" + p.HeadSHA, "number": p.Number, "state": state, "locked": false,
		"title": p.Title, "user": u, "body": nil, "labels": []any{}, "milestone": nil, "active_lock_reason": nil,
		"created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z",
		"closed_at": nil, "merged_at": nil, "merge_commit_sha": nil, "assignee": nil, "assignees": []any{},
		"requested_reviewers": []any{}, "requested_teams": []any{},
		"head": side(p.HeadRef, p.HeadSHA), "base": side(p.BaseRef, base),
		"_links": obj{
			"self": link(api + "/pulls/" + n), "html": link(html), "issue": link(api + "/issues/" + n),
			"comments": link(api + "/issues/" + n + "/comments"), "review_comments": link(api + "/pulls/" + n + "/comments"),
			"review_comment": link(api + "/pulls/comments{/number}"), "commits": link(api + "/pulls/" + n + "/commits"),
			"statuses": link(api + "/statuses/" + p.HeadSHA),
		},
		"author_association": "CONTRIBUTOR", "auto_merge": nil, "draft": false,
		"merged": false, "mergeable": true, "rebaseable": true, "mergeable_state": "clean", "merged_by": nil,
		"comments": 0, "review_comments": 0, "maintainer_can_modify": false,
		"commits": 1, "additions": 1, "deletions": 0, "changed_files": 1,
	}
}

// fullRepoJSON is GitHub's full repository object (components/schemas/repository),
// as pull requests embed it.
func (s *Server) fullRepoJSON(r *repo) obj {
	o := s.repoJSON(r)
	api := s.URL() + "/repos/" + r.fullName()
	for _, k := range []string{"archive:/{archive_format}{/ref}", "assignees:/assignees{/user}", "blobs:/git/blobs{/sha}",
		"branches:/branches{/branch}", "collaborators:/collaborators{/collaborator}", "comments:/comments{/number}",
		"commits:/commits{/sha}", "compare:/compare/{base}...{head}", "contents:/contents/{+path}",
		"contributors:/contributors", "deployments:/deployments", "downloads:/downloads", "events:/events",
		"forks:/forks", "git_commits:/git/commits{/sha}", "git_refs:/git/refs{/sha}", "git_tags:/git/tags{/sha}",
		"hooks:/hooks", "issue_comment:/issues/comments{/number}", "issue_events:/issues/events{/number}",
		"issues:/issues{/number}", "keys:/keys{/key_id}", "labels:/labels{/name}", "languages:/languages",
		"merges:/merges", "milestones:/milestones{/number}", "notifications:/notifications{?since,all,participating}",
		"pulls:/pulls{/number}", "releases:/releases{/id}", "stargazers:/stargazers", "statuses:/statuses/{sha}",
		"subscribers:/subscribers", "subscription:/subscription", "tags:/tags", "teams:/teams", "trees:/git/trees{/sha}"} {
		name, path, _ := strings.Cut(k, ":")
		o[name+"_url"] = api + path
	}
	web := s.web() + "/" + r.fullName()
	o["clone_url"], o["git_url"], o["ssh_url"], o["svn_url"] = web+".git", web+".git", "git@standin:"+r.fullName()+".git", web
	o["mirror_url"], o["homepage"], o["language"], o["license"] = nil, nil, nil, nil
	o["forks"], o["forks_count"], o["open_issues"], o["open_issues_count"] = 0, 0, len(r.Pulls), len(r.Pulls)
	o["stargazers_count"], o["watchers"], o["watchers_count"], o["size"] = 0, 0, 0, 1
	o["has_downloads"], o["has_issues"], o["has_projects"], o["has_wiki"], o["has_pages"] = false, true, false, false, false
	return o
}
