package action

import (
	"context"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/gate"
)

// The App refusing a repository outside it (not installed, owner not
// allowed) ends the gate at once with the App's message as it is: the
// fail-closed exit, no retries, nothing run.
func TestRefusedRepositoryEndsAtOnce(t *testing.T) {
	t.Parallel()
	for _, eb := range []gate.ErrorBody{
		{Error: "the stepgate App is not installed on acme/web", Code: gate.ErrorCodeNotInstalled},
		{Error: "acme is not an allowed owner of this stepgate App (STEPGATE_ALLOWED_OWNERS)", Code: gate.ErrorCodeOwnerNotAllowed},
	} {
		t.Run(eb.Code, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.app.mu.Lock()
			h.app.createErr = &eb
			h.app.mu.Unlock()
			h.app.setCreate(func(int, gate.CreateRequest, *gate.RequestView) int { return 403 })
			if got := h.run(context.Background(), h.config(markCmd)); got != ExitUnreachable {
				t.Errorf("exit = %d, want %d\n%s", got, ExitUnreachable, h.stderr.String())
			}
			if n := h.runs(); n != 0 {
				t.Errorf("command ran %d times", n)
			}
			h.app.mu.Lock()
			creates := h.app.creates
			h.app.mu.Unlock()
			if creates != 1 {
				t.Errorf("%d create calls, want 1 (no retries)", creates)
			}
			if want := "::error::stepgate: " + eb.Error + ". Nothing was run"; !strings.Contains(h.stderr.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, h.stderr.String())
			}
		})
	}
}

// An App that answers 503 saying what it lacks (here the OIDC issuer) is
// reported as that, not as an App that cannot be reached.
func TestAppLackingTheIssuerIsReportedAsSuch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	msg := "the App cannot reach the OIDC token issuer (https://token.actions.githubusercontent.com) to verify the token, retry later"
	h.app.mu.Lock()
	h.app.createErr = &gate.ErrorBody{Error: msg}
	h.app.mu.Unlock()
	h.app.setCreate(func(int, gate.CreateRequest, *gate.RequestView) int { return 503 })
	if got := h.run(context.Background(), h.config(markCmd)); got != ExitUnreachable {
		t.Errorf("exit = %d, want %d", got, ExitUnreachable)
	}
	log := h.stderr.String()
	if !strings.Contains(log, "could not serve the request after 5 attempts: HTTP 503: "+msg) || strings.Contains(log, "cannot reach the stepgate App") {
		t.Errorf("log does not report the issuer:\n%s", log)
	}
}
