package ghclient

import (
	"context"
	"fmt"
	"net/http"
	neturl "net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepgate/stepgate/app/ghapi"

	"github.com/google/go-github/v60/github"
)

// GitHub's documented limits for check runs and comments.
const (
	maxActions         = 3
	maxActionLabel     = 20
	maxActionID        = 20
	maxActionDesc      = 40
	maxOutputText      = 65535
	maxCommentBody     = 65536
	truncationNotice   = "\n\n… (truncated by stepgate)"
	truncationNoticeMD = "\n\n_… (truncated by stepgate)_"
)

// truncate cuts s to at most n bytes on a rune boundary, ending with
// notice when it had to cut. GitHub states its limits in characters; bytes
// are never fewer, so a byte limit is safe whichever GitHub counts.
func truncate(s string, n int, notice string) string {
	if len(s) <= n {
		return s
	}
	keep := n - len(notice)
	if keep < 0 {
		keep, notice = n, ""
	}
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	return s[:keep] + notice
}

// truncateMarkdown truncates text to n characters, closing a fenced code
// block it cut through so that the notice and the rest of the page are not
// swallowed into the fence.
func truncateMarkdown(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const closeFence = "\n```"
	body := truncate(s, n-len(closeFence+truncationNoticeMD), "")
	if strings.Count(body, "```")%2 == 1 {
		return body + closeFence + truncationNoticeMD
	}
	return body + truncationNoticeMD
}

// checkRunBody is the JSON of create/update. Unlike go-github's options it
// always sends output and actions, so an update can clear the buttons
// (actions: []) once a request is decided.
type checkRunBody struct {
	Name        string            `json:"name,omitempty"`
	HeadSHA     string            `json:"head_sha,omitempty"`
	DetailsURL  string            `json:"details_url,omitempty"`
	ExternalID  string            `json:"external_id,omitempty"`
	Status      string            `json:"status,omitempty"`
	Conclusion  string            `json:"conclusion,omitempty"`
	CompletedAt *github.Timestamp `json:"completed_at,omitempty"`
	Output      *checkRunOutput   `json:"output,omitempty"`
	Actions     []checkRunAction  `json:"actions"`
}

type checkRunOutput struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Text    string `json:"text,omitempty"`
}

type checkRunAction struct {
	Label       string `json:"label"`
	Description string `json:"description"`
	Identifier  string `json:"identifier"`
}

// checkRunRequest applies GitHub's limits so a long summary or label is cut
// here instead of the whole call failing with 422.
func checkRunRequest(cr ghapi.CheckRun, create bool) checkRunBody {
	b := checkRunBody{Name: cr.Name, DetailsURL: cr.DetailsURL, ExternalID: cr.ExternalID,
		Status: cr.Status, Conclusion: cr.Conclusion, Actions: []checkRunAction{}}
	if create {
		b.HeadSHA = cr.HeadSHA
	}
	if cr.Conclusion != "" {
		b.Status = "completed"
	}
	if b.Status == "completed" {
		b.CompletedAt = &github.Timestamp{Time: time.Now().UTC().Truncate(time.Second)}
	}
	if cr.Title != "" || cr.Summary != "" || cr.Text != "" {
		title := cr.Title
		if title == "" {
			title = cr.Name
		}
		summary := cr.Summary
		if summary == "" {
			summary = title // GitHub requires a summary with a title
		}
		b.Output = &checkRunOutput{
			Title:   truncate(title, 1000, "…"),
			Summary: truncateMarkdown(summary, maxOutputText),
			Text:    truncateMarkdown(cr.Text, maxOutputText),
		}
	}
	for i, a := range cr.Actions {
		if i == maxActions {
			break
		}
		b.Actions = append(b.Actions, checkRunAction{
			Label:       truncate(a.Label, maxActionLabel, "…"),
			Description: truncate(a.Description, maxActionDesc, "…"),
			// An identifier is matched exactly when clicked; cutting it
			// silently would misroute the click, so it is cut without a marker
			// and callers keep theirs short.
			Identifier: truncate(a.Identifier, maxActionID, ""),
		})
	}
	return b
}

func (c *Client) send(ctx context.Context, repo, method, path string, body, out any) error {
	gh, owner, name, err := c.forRepo(ctx, repo)
	if err != nil {
		return err
	}
	u := fmt.Sprintf("repos/%s/%s/%s", neturl.PathEscape(owner), neturl.PathEscape(name), path)
	req, err := gh.NewRequest(method, u, body)
	if err != nil {
		return err
	}
	if _, err := gh.Do(ctx, req, out); err != nil {
		c.forgetOnAuthError(repo, err)
		return mapErr(err)
	}
	return nil
}

// CreateCheckRun implements ghapi.GitHub.
func (c *Client) CreateCheckRun(ctx context.Context, repo string, cr ghapi.CheckRun) (int64, string, error) {
	var out github.CheckRun
	if err := c.send(ctx, repo, http.MethodPost, "check-runs", checkRunRequest(cr, true), &out); err != nil {
		return 0, "", fmt.Errorf("creating check run %q on %s: %w", cr.Name, repo, err)
	}
	return out.GetID(), out.GetHTMLURL(), nil
}

// UpdateCheckRun implements ghapi.GitHub. The whole visible state is
// sent: an empty Actions removes the buttons.
func (c *Client) UpdateCheckRun(ctx context.Context, repo string, id int64, cr ghapi.CheckRun) error {
	var out github.CheckRun
	if err := c.send(ctx, repo, http.MethodPatch, fmt.Sprintf("check-runs/%d", id), checkRunRequest(cr, false), &out); err != nil {
		return fmt.Errorf("updating check run %d on %s: %w", id, repo, err)
	}
	return nil
}

type commentBody struct {
	Body string `json:"body"`
}

func newComment(body string) commentBody {
	return commentBody{Body: truncateMarkdown(body, maxCommentBody)}
}

// CreateIssueComment implements ghapi.GitHub (PR comments are issue comments).
func (c *Client) CreateIssueComment(ctx context.Context, repo string, number int, body string) (int64, string, error) {
	var out github.IssueComment
	if err := c.send(ctx, repo, http.MethodPost, fmt.Sprintf("issues/%d/comments", number), newComment(body), &out); err != nil {
		return 0, "", fmt.Errorf("commenting on %s#%d: %w", repo, number, err)
	}
	return out.GetID(), out.GetHTMLURL(), nil
}

// UpdateIssueComment implements ghapi.GitHub.
func (c *Client) UpdateIssueComment(ctx context.Context, repo string, id int64, body string) error {
	var out github.IssueComment
	if err := c.send(ctx, repo, http.MethodPatch, fmt.Sprintf("issues/comments/%d", id), newComment(body), &out); err != nil {
		return fmt.Errorf("updating comment %d on %s: %w", id, repo, err)
	}
	return nil
}

// CreateCommitComment implements ghapi.GitHub.
func (c *Client) CreateCommitComment(ctx context.Context, repo, sha, body string) (int64, string, error) {
	var out github.RepositoryComment
	if err := c.send(ctx, repo, http.MethodPost, "commits/"+neturl.PathEscape(sha)+"/comments", newComment(body), &out); err != nil {
		return 0, "", fmt.Errorf("commenting on %s@%s: %w", repo, sha, err)
	}
	return out.GetID(), out.GetHTMLURL(), nil
}

// UpdateCommitComment implements ghapi.GitHub.
func (c *Client) UpdateCommitComment(ctx context.Context, repo string, id int64, body string) error {
	var out github.RepositoryComment
	if err := c.send(ctx, repo, http.MethodPatch, fmt.Sprintf("comments/%d", id), newComment(body), &out); err != nil {
		return fmt.Errorf("updating commit comment %d on %s: %w", id, repo, err)
	}
	return nil
}
