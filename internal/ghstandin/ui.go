package ghstandin

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// The UI is for a human running the demo: it shows what the App wrote and
// lets them click buttons and comment as any known user. html/template
// escapes everything; markdown is shown as preformatted text, never
// rendered, so nothing in a command or summary can inject markup.

func (s *Server) registerUI(mux *http.ServeMux) {
	mux.HandleFunc("GET /_standin/{$}", s.uiPage)
	mux.HandleFunc("GET /_standin", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/_standin/", http.StatusFound)
	})
	mux.HandleFunc("POST /_standin/click", s.uiClick)
	mux.HandleFunc("POST /_standin/comment", s.uiComment)
}

type uiThread struct {
	Kind     string // "pr" or "commit"
	Ref      string // PR number or SHA
	Comments []Comment
}

type uiRepo struct {
	Name      string
	CheckRuns []CheckRun
	Threads   []uiThread
}

type uiData struct {
	Flash string
	Users []string
	Repos []uiRepo
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>GitHub stand-in</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;max-width:72em}
.cr{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;margin:.8em 0}
pre{background:#f6f8fa;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere}
.st{font-weight:bold}.flash{background:#fff5c0;padding:.5em}
form.inline{display:inline}
</style></head><body>
<h1>GitHub stand-in</h1>
<p><a href="/_standin/">refresh</a></p>
{{with .Flash}}<p class="flash">{{.}}</p>{{end}}
{{range .Repos}}{{$repo := .Name}}
<h2>{{.Name}}</h2>
{{range .CheckRuns}}
<div class="cr" id="check-run-{{.ID}}">
<div><span class="st">{{.Name}}</span> — {{.Status}}{{with .Conclusion}} / {{.}}{{end}} (check run {{.ID}} on {{.HeadSHA}}{{with .ExternalID}}, request {{.}}{{end}})</div>
{{with .Title}}<h3>{{.}}</h3>{{end}}
<pre>{{.Summary}}</pre>
{{with .Text}}<details><summary>details</summary><pre>{{.}}</pre></details>{{end}}
{{$cr := .}}{{range .Actions}}
<form class="inline" method="post" action="/_standin/click">
<input type="hidden" name="repo" value="{{$repo}}"><input type="hidden" name="check_run" value="{{$cr.ID}}">
<input type="hidden" name="identifier" value="{{.Identifier}}">
<select name="login">{{range $.Users}}<option>{{.}}</option>{{end}}</select>
<button title="{{.Description}}">{{.Label}}</button></form>
{{end}}</div>
{{end}}
{{range .Threads}}
<h3>{{if eq .Kind "pr"}}Pull request #{{.Ref}}{{else}}Commit {{.Ref}}{{end}}</h3>
{{range .Comments}}<div class="cr"><b>{{.Login}}</b> {{if .Edits}}(edited){{end}}<pre>{{.Body}}</pre></div>{{end}}
{{end}}
<form method="post" action="/_standin/comment">
<input type="hidden" name="repo" value="{{.Name}}">
Comment on <input name="target" placeholder="PR number or commit SHA" size="42"> as
<select name="login">{{range $.Users}}<option>{{.}}</option>{{end}}</select><br>
<textarea name="body" rows="2" cols="80">/stepgate approve</textarea><br><button>Comment</button></form>
{{end}}
</body></html>`))

func (s *Server) uiPage(w http.ResponseWriter, r *http.Request) {
	d := uiData{Flash: r.URL.Query().Get("flash")}
	for _, u := range s.Users() {
		if !strings.HasSuffix(u, "[bot]") {
			d.Users = append(d.Users, u)
		}
	}
	s.mu.Lock()
	names := make([]string, 0, len(s.st.repos))
	for n := range s.st.repos {
		names = append(names, n)
	}
	s.mu.Unlock()
	sort.Strings(names)
	for _, n := range names {
		d.Repos = append(d.Repos, s.uiRepo(n))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	if err := page.Execute(w, d); err != nil {
		s.log.Error("stand-in page", "err", err)
	}
}

func (s *Server) uiRepo(name string) uiRepo {
	ur := uiRepo{Name: name, CheckRuns: s.CheckRuns(name)}
	s.mu.Lock()
	prs, shas := map[int]bool{}, map[string]bool{}
	for n := range s.st.repos[name].Pulls {
		prs[n] = true
	}
	for _, c := range s.st.commitComments {
		if c.Repo == name {
			shas[c.CommitID] = true
		}
	}
	s.mu.Unlock()
	nums := make([]int, 0, len(prs))
	for n := range prs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		ur.Threads = append(ur.Threads, uiThread{Kind: "pr", Ref: strconv.Itoa(n), Comments: s.IssueComments(name, n)})
	}
	for sha := range shas {
		ur.Threads = append(ur.Threads, uiThread{Kind: "commit", Ref: sha, Comments: s.CommitComments(name, sha)})
	}
	return ur
}

// sameOrigin refuses cross-site form posts: any web page could otherwise
// make a browser click "approve" on the stand-in.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		return false
	}
	return r.Header.Get("Sec-Fetch-Site") == "" || r.Header.Get("Sec-Fetch-Site") == "same-origin"
}

func (s *Server) uiDone(w http.ResponseWriter, r *http.Request, status int, err error) {
	msg := fmt.Sprintf("webhook delivered: HTTP %d", status)
	if err != nil {
		msg = "failed: " + err.Error()
	}
	http.Redirect(w, r, "/_standin/?flash="+url.QueryEscape(msg), http.StatusSeeOther)
}

func (s *Server) uiClick(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
		return
	}
	id, _ := strconv.ParseInt(r.FormValue("check_run"), 10, 64)
	st, err := s.ClickAction(r.FormValue("repo"), id, r.FormValue("identifier"), r.FormValue("login"))
	s.uiDone(w, r, st, err)
}

func (s *Server) uiComment(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
		return
	}
	repo, target, login, body := r.FormValue("repo"), strings.TrimSpace(r.FormValue("target")), r.FormValue("login"), r.FormValue("body")
	var st int
	var err error
	if n, convErr := strconv.Atoi(target); convErr == nil {
		st, err = s.PostIssueComment(repo, n, login, body)
	} else {
		st, err = s.PostCommitComment(repo, target, login, body)
	}
	s.uiDone(w, r, st, err)
}

// Describe renders a check run and the comments on its PR or commit as
// plain text for a terminal.
func (s *Server) Describe(checkRunID int64) string {
	c, ok := s.GetCheckRun(checkRunID)
	if !ok {
		return fmt.Sprintf("check run %d: not found\n", checkRunID)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "check run %d %q on %s@%s\n", c.ID, c.Name, c.Repo, c.HeadSHA)
	fmt.Fprintf(&b, "  status: %s", c.Status)
	if c.Conclusion != "" {
		fmt.Fprintf(&b, " (%s)", c.Conclusion)
	}
	fmt.Fprintf(&b, "\n  title: %s\n", c.Title)
	for _, part := range []struct{ name, text string }{{"summary", c.Summary}, {"text", c.Text}} {
		if part.text == "" {
			continue
		}
		fmt.Fprintf(&b, "  %s:\n", part.name)
		for _, l := range strings.Split(strings.TrimRight(part.text, "\n"), "\n") {
			fmt.Fprintf(&b, "    | %s\n", l)
		}
	}
	for _, a := range c.Actions {
		fmt.Fprintf(&b, "  [%s] %s — %s\n", a.Identifier, a.Label, a.Description)
	}
	var comments []Comment
	s.mu.Lock()
	var prs []int
	if r := s.st.repos[c.Repo]; r != nil {
		for n, p := range r.Pulls {
			if p.HeadSHA == c.HeadSHA {
				prs = append(prs, n)
			}
		}
	}
	s.mu.Unlock()
	sort.Ints(prs)
	for _, n := range prs {
		comments = append(comments, s.IssueComments(c.Repo, n)...)
	}
	comments = append(comments, s.CommitComments(c.Repo, c.HeadSHA)...)
	for _, cm := range comments {
		fmt.Fprintf(&b, "  comment %d by %s:\n", cm.ID, cm.Login)
		for _, l := range strings.Split(strings.TrimRight(cm.Body, "\n"), "\n") {
			fmt.Fprintf(&b, "    > %s\n", l)
		}
	}
	return b.String()
}
