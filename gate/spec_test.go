package gate_test

import (
	"encoding/json"
	"testing"

	"github.com/stepgate/stepgate/gate"
)

// Requests stored before the spec was a typed field hold it as a JSON
// string; both forms read back the same spec.
func TestSpecReadsTheOlderStringForm(t *testing.T) {
	typed := `{"id":"sg_x","requirement":{"require":{"team":"acme/dba"},"owners":["@alice"]}}`
	older := `{"id":"sg_x","requirement":"{\"require\":{\"team\":\"acme/dba\"},\"owners\":[\"@alice\"]}"}`
	for name, in := range map[string]string{"typed": typed, "older": older} {
		var r gate.Request
		if err := json.Unmarshal([]byte(in), &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Spec == nil || r.Spec.Require == nil || r.Spec.Require.Team != "acme/dba" || len(r.Spec.Owners) != 1 || r.Spec.Owners[0] != "@alice" {
			t.Errorf("%s: spec = %+v", name, r.Spec)
		}
	}
	var r gate.Request
	if err := json.Unmarshal([]byte(`{"requirement":""}`), &r); err != nil || r.Spec == nil || r.Spec.Require != nil {
		t.Errorf("empty older form: spec %+v, err %v", r.Spec, err)
	}
	if err := json.Unmarshal([]byte(`{"requirement":"{not json"}`), &r); err == nil {
		t.Error("a broken older spec must not read as empty")
	}
}
