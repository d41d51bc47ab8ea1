package demo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stepgate/stepgate/internal/ghstandin"
)

// approveAfterSelfApproval: alice, who started the run, clicks Approve
// first (the App must not count it), then bob approves.
func approveAfterSelfApproval(ctx context.Context, s *session, checkRunID int64) (time.Time, error) {
	s.out.printf("    > %s (the run's actor) clicks Approve: must not count\n", actor)
	if err := s.click(checkRunID, "approve", actor); err != nil {
		return time.Time{}, err
	}
	if err := sleepCtx(ctx, 150*time.Millisecond); err != nil {
		return time.Time{}, err
	}
	if cr, ok := s.w.standin.GetCheckRun(checkRunID); ok && cr.Conclusion != "action_required" {
		return time.Time{}, fmt.Errorf("after %s's own click the check run is %q, want still action_required", actor, cr.Conclusion)
	}
	s.out.printf("    > %s (team acme/sre) clicks Approve\n", reviewer)
	at := time.Now()
	return at, s.click(checkRunID, "approve", reviewer)
}

// rejectByComment: carol rejects with a PR comment, the way reviewers do
// from the conversation tab.
func rejectByComment(_ context.Context, s *session, _ int64) (time.Time, error) {
	body := "/stepgate reject deleting the namespace is too risky"
	s.out.printf("    > %s comments on PR #%d: %s\n", maintainer, prNumber, body)
	at := time.Now()
	st, err := s.w.standin.PostIssueComment(repoName, prNumber, maintainer, body)
	if err == nil && st >= 300 {
		err = fmt.Errorf("the App answered the issue_comment webhook with %d", st)
	}
	return at, err
}

// approveAndRemember: bob clicks "Approve & remember".
func approveAndRemember(_ context.Context, s *session, checkRunID int64) (time.Time, error) {
	s.out.printf("    > %s clicks \"Approve & remember\"\n", reviewer)
	at := time.Now()
	return at, s.click(checkRunID, "remember", reviewer)
}

func (s *session) click(checkRunID int64, identifier, login string) error {
	st, err := s.w.standin.ClickAction(repoName, checkRunID, identifier, login)
	if err != nil {
		return fmt.Errorf("%s clicking %s: %w", login, identifier, err)
	}
	if st >= 300 {
		return fmt.Errorf("the App answered %s's %s click with %d", login, identifier, st)
	}
	return nil
}

// settle waits until the App's follow-up GitHub traffic of the previous
// step (check run and comment updates after a decision) has stopped, so the
// next step's call count is its own.
func (w *world) settle(ctx context.Context) {
	const quiet = 300 * time.Millisecond
	deadline := time.Now().Add(5 * time.Second)
	last := len(w.standin.Calls())
	lastChange := time.Now()
	for time.Now().Before(deadline) && time.Since(lastChange) < quiet {
		if sleepCtx(ctx, 25*time.Millisecond) != nil {
			return
		}
		if n := len(w.standin.Calls()); n != last {
			last, lastChange = n, time.Now()
		}
	}
}

// check compares a step's outcome with what the scenario expects and
// returns one line per difference.
func (s *session) check(sc scenario, res stepResult, calls []ghstandin.Call, newRuns int) []string {
	var bad []string
	fail := func(format string, args ...any) {
		bad = append(bad, fmt.Sprintf("step %d (%s): ", sc.step.n, sc.step.command)+fmt.Sprintf(format, args...))
	}
	w := sc.want
	s.checks += 4
	if got := res.outputs["status"]; got != w.status {
		fail("status %q, want %q", got, w.status)
	}
	if res.exit != w.exit {
		fail("exit status %d, want %d", res.exit, w.exit)
	}
	if ran := !res.firstOut.IsZero(); ran != w.ran {
		fail("command ran: %v, want %v", ran, w.ran)
	}
	if got := res.outputs["approved-by"]; got != w.approvedBy {
		fail("approved-by %q, want %q", got, w.approvedBy)
	}
	if w.checkRun || newRuns > 0 {
		s.checks++
		if want := map[bool]int{true: 1, false: 0}[w.checkRun]; newRuns != want {
			fail("%d check runs opened, want %d", newRuns, want)
		}
	}
	if w.noGitHub {
		s.checks++
		if len(calls) > 0 {
			fail("%d GitHub API calls (first: %s %s), want none", len(calls), calls[0].Method, calls[0].Route)
		}
	}
	if w.ran {
		s.checks++
		if wantExit := fmt.Sprint(w.exit); res.outputs["exit-code"] != wantExit {
			fail("output exit-code %q, want %q", res.outputs["exit-code"], wantExit)
		}
	}
	if len(bad) == 0 {
		s.out.printf("    ✓ as expected\n")
	} else {
		for _, b := range bad {
			s.out.printf("    ✗ %s\n", b)
		}
	}
	return bad
}

// readAnswers turns the interactive reviewer's lines into a channel. The
// reading goroutine cannot be interrupted (a terminal read blocks); it ends
// with the input or the process.
func readAnswers(r io.Reader) <-chan string {
	if r == nil {
		return nil
	}
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if t := strings.TrimSpace(sc.Text()); t != "" {
				ch <- t
			}
		}
	}()
	return ch
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
