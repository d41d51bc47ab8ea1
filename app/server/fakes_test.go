package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stepgate/stepgate/app/ghapi"
)

// fakeGitHub is an in-memory GitHub behind the GitHub interface. It counts
// every call so tests can prove how many the App makes.
type fakeGitHub struct {
	mu       sync.Mutex
	nextID   int64
	files    map[string]string // repo \x00 path -> content
	perms    map[string]string // repo \x00 login -> permission
	teams    map[string]bool   // org/slug \x00 login
	runs     map[int64]*fakeRun
	comments map[int64]*fakeComment
	calls    []string
	callTime []time.Time
	failPerm error
	pulls    map[string]ghapi.PullRequest // "repo#n"
}

type fakeRun struct {
	Repo string
	CR   ghapi.CheckRun
}

type fakeComment struct {
	Repo   string
	PR     int
	SHA    string
	Body   string
	Update int
}

func newFakeGitHub() *fakeGitHub {
	return &fakeGitHub{nextID: 1000, files: map[string]string{}, perms: map[string]string{}, teams: map[string]bool{},
		runs: map[int64]*fakeRun{}, comments: map[int64]*fakeComment{}}
}

func (f *fakeGitHub) call(op string) {
	f.calls = append(f.calls, op)
	f.callTime = append(f.callTime, time.Now())
}

func (f *fakeGitHub) setFile(repo, path, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[repo+"\x00"+path] = content
}

func (f *fakeGitHub) setPerm(repo, login, perm string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.perms[repo+"\x00"+strings.ToLower(login)] = perm
}

func (f *fakeGitHub) setTeam(team, login string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.teams[strings.ToLower(team)+"\x00"+strings.ToLower(login)] = true
}

func (f *fakeGitHub) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeGitHub) callsOf(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == op {
			n++
		}
	}
	return n
}

func (f *fakeGitHub) checkRun(id int64) ghapi.CheckRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.runs[id]; r != nil {
		return r.CR
	}
	return ghapi.CheckRun{}
}

func (f *fakeGitHub) allComments() []fakeComment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeComment
	for id := int64(0); id <= f.nextID; id++ {
		if c := f.comments[id]; c != nil {
			out = append(out, *c)
		}
	}
	return out
}

func (f *fakeGitHub) DefaultBranchFile(_ context.Context, repo, path string) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.HasSuffix(repo, "/.github") {
		f.call("org_file") // the owner's org-wide policy (policyload.go)
	} else {
		f.call("file")
	}
	c, ok := f.files[repo+"\x00"+path]
	if !ok {
		return nil, "", fmt.Errorf("%s: %w", path, ghapi.ErrNotFound)
	}
	return []byte(c), fmt.Sprintf("blob-%x", len(c)) + fmt.Sprint(hashString(c)), nil
}

func hashString(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func (f *fakeGitHub) Permission(_ context.Context, repo, login string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("permission")
	if f.failPerm != nil {
		return "", f.failPerm
	}
	if p, ok := f.perms[repo+"\x00"+strings.ToLower(login)]; ok {
		return p, nil
	}
	return "none", nil
}

func (f *fakeGitHub) TeamMember(_ context.Context, org, slug, login string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("team")
	return f.teams[strings.ToLower(org+"/"+slug)+"\x00"+strings.ToLower(login)], nil
}

func (f *fakeGitHub) CreateCheckRun(_ context.Context, repo string, cr ghapi.CheckRun) (int64, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("create_check_run")
	f.nextID++
	f.runs[f.nextID] = &fakeRun{Repo: repo, CR: cr}
	return f.nextID, fmt.Sprintf("https://github.example/%s/runs/%d", repo, f.nextID), nil
}

func (f *fakeGitHub) UpdateCheckRun(_ context.Context, repo string, id int64, cr ghapi.CheckRun) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("update_check_run")
	r := f.runs[id]
	if r == nil || r.Repo != repo {
		return ghapi.ErrNotFound
	}
	cr.HeadSHA = r.CR.HeadSHA
	r.CR = cr
	return nil
}

func (f *fakeGitHub) CreateIssueComment(_ context.Context, repo string, number int, body string) (int64, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("create_comment")
	f.nextID++
	f.comments[f.nextID] = &fakeComment{Repo: repo, PR: number, Body: body}
	return f.nextID, fmt.Sprintf("https://github.example/%s/pull/%d#c%d", repo, number, f.nextID), nil
}

func (f *fakeGitHub) UpdateIssueComment(_ context.Context, repo string, id int64, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("update_comment")
	c := f.comments[id]
	if c == nil || c.Repo != repo {
		return ghapi.ErrNotFound
	}
	c.Body, c.Update = body, c.Update+1
	return nil
}

func (f *fakeGitHub) CreateCommitComment(_ context.Context, repo, sha, body string) (int64, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("create_commit_comment")
	f.nextID++
	f.comments[f.nextID] = &fakeComment{Repo: repo, SHA: sha, Body: body}
	return f.nextID, fmt.Sprintf("https://github.example/%s/commit/%s#c%d", repo, sha, f.nextID), nil
}

func (f *fakeGitHub) UpdateCommitComment(_ context.Context, repo string, id int64, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("update_commit_comment")
	c := f.comments[id]
	if c == nil || c.Repo != repo {
		return ghapi.ErrNotFound
	}
	c.Body, c.Update = body, c.Update+1
	return nil
}

func (f *fakeGitHub) setPull(repo string, pr ghapi.PullRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pulls == nil {
		f.pulls = map[string]ghapi.PullRequest{}
	}
	if pr.State == "" {
		pr.State = "open"
	}
	f.pulls[fmt.Sprintf("%s#%d", repo, pr.Number)] = pr
}

func (f *fakeGitHub) PullRequest(_ context.Context, repo string, number int) (ghapi.PullRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("pull_request")
	pr, ok := f.pulls[fmt.Sprintf("%s#%d", repo, number)]
	if !ok {
		return ghapi.PullRequest{}, ghapi.ErrNotFound
	}
	return pr, nil
}
