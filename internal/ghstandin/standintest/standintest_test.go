package standintest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The validator must catch what GitHub would never send or accept,
// otherwise a passing stand-in proves nothing.
func TestValidatorCatchesMistakes(t *testing.T) {
	t.Parallel()
	v := Validator(t)
	hdr := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name, method, path, reqBody string
		status                      int
		respBody                    string
		wantReqErr, wantRespErr     bool
	}{
		{"team membership ok", "GET", "/orgs/acme/teams/sre/memberships/alice", "", 200,
			`{"url":"https://api.github.com/x","role":"member","state":"active"}`, false, false},
		{"team membership bad state", "GET", "/orgs/acme/teams/sre/memberships/alice", "", 200,
			`{"url":"https://api.github.com/x","role":"member","state":"sleeping"}`, false, true},
		{"undocumented success status", "GET", "/orgs/acme/teams/sre/memberships/alice", "", 204, "", false, true},
		{"comment without body", "POST", "/repos/acme/app/issues/1/comments", `{"text":"x"}`, 404, `{"message":"Not Found"}`, true, false},
		{"route GitHub does not have", "GET", "/repos/acme/app/approvals", "", 200, `{}`, true, true},
		{"contents path with slashes", "GET", "/repos/acme/app/contents/.github/stepgate.yml", "", 404,
			`{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`, false, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "http://127.0.0.1:1"+tt.path, nil)
		if tt.reqBody != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		if err := v.ValidateRequest(r, []byte(tt.reqBody)); (err != nil) != tt.wantReqErr {
			t.Errorf("%s: request error = %v, want error %v", tt.name, err, tt.wantReqErr)
		}
		if err := v.ValidateResponse(r, []byte(tt.reqBody), tt.status, hdr, []byte(tt.respBody)); (err != nil) != tt.wantRespErr {
			t.Errorf("%s: response error = %v, want error %v", tt.name, err, tt.wantRespErr)
		}
	}
}
