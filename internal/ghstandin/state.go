package ghstandin

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// state is the stand-in's in-memory GitHub. Guarded by Server.mu.
type state struct {
	nextID         int64
	users          map[string]*user
	repos          map[string]*repo // by "owner/name"
	installations  map[int64]*installation
	teams          map[string]map[string]string // "org/slug" -> login -> state
	tokens         map[string]token
	checkRuns      map[int64]*CheckRun
	issueComments  map[int64]*Comment
	commitComments map[int64]*Comment
	actions        *actionsState // workflow runs and deployment reviews (actions.go), made on first use
}

func newState() state {
	return state{
		nextID:         1000,
		users:          map[string]*user{},
		repos:          map[string]*repo{},
		installations:  map[int64]*installation{},
		teams:          map[string]map[string]string{},
		tokens:         map[string]token{},
		checkRuns:      map[int64]*CheckRun{},
		issueComments:  map[int64]*Comment{},
		commitComments: map[int64]*Comment{},
	}
}

func (st *state) id() int64 {
	st.nextID++
	return st.nextID
}

type user struct {
	ID    int64
	Login string
	Type  string // User, Bot, Organization
}

type repo struct {
	ID            int64
	Owner         string
	Name          string
	DefaultBranch string
	Private       bool
	Installation  int64                        // 0: the App is not installed
	Files         map[string]map[string]string // branch -> path -> content
	Perms         map[string]string            // login -> role name
	Pulls         map[int]*PullRequest
}

func (r *repo) fullName() string { return r.Owner + "/" + r.Name }

type installation struct {
	ID      int64
	Account string // owner login
	Created time.Time
}

type token struct {
	installation int64
	expires      time.Time
}

// PullRequest is a pull request known to the stand-in; issue_comment
// webhooks on it carry its number and the pull_request key.
type PullRequest struct {
	Number  int
	Title   string
	HeadSHA string
	HeadRef string
	BaseRef string
	Author  string
}

// CheckRun is a check run as the App last wrote it.
type CheckRun struct {
	ID          int64
	Repo        string
	Name        string
	HeadSHA     string
	ExternalID  string
	DetailsURL  string
	Status      string
	Conclusion  string
	Title       string
	Summary     string
	Text        string
	Actions     []Action
	StartedAt   time.Time
	CompletedAt time.Time
	Updates     int // PATCHes received
}

// Action is a check run button.
type Action struct {
	Label       string `json:"label"`
	Description string `json:"description"`
	Identifier  string `json:"identifier"`
}

// Comment is an issue (PR) or commit comment.
type Comment struct {
	ID       int64
	Repo     string
	Number   int    // issue comments
	CommitID string // commit comments
	Login    string
	Body     string
	Created  time.Time
	Updated  time.Time
	Edits    int
}

// Repo configures a repository for AddRepo.
type Repo struct {
	FullName      string // "owner/name"
	DefaultBranch string // default "main"
	Private       bool
	// NotInstalled leaves the App uninstalled: /repos/{o}/{r}/installation
	// answers 404.
	NotInstalled bool
}

// AddRepo adds (or replaces) a repository; the App is installed on its
// owner's account (one installation per account, as on GitHub) unless
// NotInstalled. An owner not yet known becomes an organization; AddUser it
// first for a user-owned repository. It returns the installation id (0
// when not installed).
func (s *Server) AddRepo(r Repo) int64 {
	owner, name, ok := strings.Cut(r.FullName, "/")
	if !ok || owner == "" || name == "" {
		panic(fmt.Sprintf("ghstandin: repository %q is not owner/name", r.FullName))
	}
	if r.DefaultBranch == "" {
		r.DefaultBranch = "main"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	st.ensureUser(owner, "Organization")
	rp := &repo{ID: st.id(), Owner: owner, Name: name, DefaultBranch: r.DefaultBranch, Private: r.Private,
		Files: map[string]map[string]string{}, Perms: map[string]string{}, Pulls: map[int]*PullRequest{}}
	if !r.NotInstalled {
		rp.Installation = st.installationFor(owner)
	}
	st.repos[rp.fullName()] = rp
	return rp.Installation
}

func (st *state) installationFor(account string) int64 {
	for _, in := range st.installations {
		if in.Account == account {
			return in.ID
		}
	}
	in := &installation{ID: st.id() + 70000000, Account: account, Created: time.Now().UTC()}
	st.installations[in.ID] = in
	return in.ID
}

func (st *state) ensureUser(login, typ string) *user {
	if u, ok := st.users[login]; ok {
		return u
	}
	if typ == "" {
		typ = "User"
		if strings.HasSuffix(login, "[bot]") {
			typ = "Bot"
		}
	}
	u := &user{ID: st.id() + 100000, Login: login, Type: typ}
	st.users[login] = u
	return u
}

// AddUser makes login known (type "User", or "Bot" for "…[bot]" logins).
func (s *Server) AddUser(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.ensureUser(login, "")
}

// Users lists known user and bot logins (not organizations), sorted.
func (s *Server) Users() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for l, u := range s.st.users {
		if u.Type != "Organization" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// RepoID returns repo's numeric id (0 if unknown): OIDC tokens carry it as
// repository_id, and webhooks as repository.id.
func (s *Server) RepoID(repo string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.st.repos[repo]; ok {
		return r.ID
	}
	return 0
}

// UserID returns the numeric id of a user, bot or organization, creating a
// user for an unknown login (OIDC tokens carry actor_id and
// repository_owner_id).
func (s *Server) UserID(login string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.ensureUser(login, "").ID
}

// InstallationID returns the installation that covers repo (0 if none).
func (s *Server) InstallationID(repo string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.st.repos[repo]; ok {
		return r.Installation
	}
	return 0
}

// Uninstall removes the App's installation covering repo (all of that
// account's repositories) and returns its id.
func (s *Server) Uninstall(repo string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.st.repos[repo]
	if !ok || r.Installation == 0 {
		return 0
	}
	id := r.Installation
	for _, rr := range s.st.repos {
		if rr.Installation == id {
			rr.Installation = 0
		}
	}
	delete(s.st.installations, id)
	for k, t := range s.st.tokens {
		if t.installation == id {
			delete(s.st.tokens, k)
		}
	}
	return id
}

func (s *Server) mustRepo(name string) *repo {
	r, ok := s.st.repos[name]
	if !ok {
		panic(fmt.Sprintf("ghstandin: unknown repository %q (AddRepo first)", name))
	}
	return r
}

// SetFile stores a file on a branch ("" = the default branch). Files on
// other branches exist so tests can prove they are never read.
func (s *Server) SetFile(repoName, branch, path, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repoName)
	if branch == "" {
		branch = r.DefaultBranch
	}
	if r.Files[branch] == nil {
		r.Files[branch] = map[string]string{}
	}
	r.Files[branch][strings.TrimPrefix(path, "/")] = content
}

// DeleteFile removes a file from a branch ("" = the default branch).
func (s *Server) DeleteFile(repoName, branch, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repoName)
	if branch == "" {
		branch = r.DefaultBranch
	}
	delete(r.Files[branch], strings.TrimPrefix(path, "/"))
}

// BlobSHA is git's object id for a blob with this content.
func BlobSHA(content string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write([]byte(content))
	return hex.EncodeToString(h.Sum(nil))
}

// SetPermission gives login a role on repo: admin, maintain, write, triage,
// read, or "" to remove it.
func (s *Server) SetPermission(repoName, login, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repoName)
	s.st.ensureUser(login, "")
	if role == "" {
		delete(r.Perms, login)
		return
	}
	r.Perms[login] = role
}

// SetTeamMember sets login's membership of org/slug: "active", "pending",
// or "" to remove it.
func (s *Server) SetTeamMember(org, slug, login, membership string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.ensureUser(org, "Organization")
	s.st.ensureUser(login, "")
	k := org + "/" + slug
	if s.st.teams[k] == nil {
		s.st.teams[k] = map[string]string{}
	}
	if membership == "" {
		delete(s.st.teams[k], login)
		return
	}
	s.st.teams[k][login] = membership
}

// AddPullRequest registers an open pull request.
func (s *Server) AddPullRequest(repoName string, pr PullRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repoName)
	if pr.Title == "" {
		pr.Title = "Pull request #" + strconv.Itoa(pr.Number)
	}
	if pr.BaseRef == "" {
		pr.BaseRef = r.DefaultBranch
	}
	if pr.Author != "" {
		s.st.ensureUser(pr.Author, "")
	}
	p := pr
	r.Pulls[pr.Number] = &p
}

// CheckRuns returns repo's check runs ("" = all), oldest first.
func (s *Server) CheckRuns(repoName string) []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CheckRun
	for _, c := range s.st.checkRuns {
		if repoName == "" || c.Repo == repoName {
			cc := *c
			cc.Actions = append([]Action(nil), c.Actions...)
			out = append(out, cc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// GetCheckRun returns one check run.
func (s *Server) GetCheckRun(id int64) (CheckRun, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.checkRuns[id]
	if !ok {
		return CheckRun{}, false
	}
	cc := *c
	cc.Actions = append([]Action(nil), c.Actions...)
	return cc, true
}

// IssueComments returns the comments on repo's issue or PR number, oldest first.
func (s *Server) IssueComments(repoName string, number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedComments(s.st.issueComments, func(c *Comment) bool { return c.Repo == repoName && c.Number == number })
}

// CommitComments returns the comments on repo's commit sha, oldest first.
func (s *Server) CommitComments(repoName, sha string) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedComments(s.st.commitComments, func(c *Comment) bool { return c.Repo == repoName && c.CommitID == sha })
}

func sortedComments(m map[int64]*Comment, keep func(*Comment) bool) []Comment {
	var out []Comment
	for _, c := range m {
		if keep(c) {
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
