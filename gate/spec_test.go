package gate_test

import (
	"encoding/json"
	"testing"

	"github.com/stepgate/stepgate/gate"
)

// Stores keep the spec as a JSON string holding its JSON, as before it was
// a typed field (replicas of the previous release read it); an object reads
// back the same.
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

func TestSpecIsStoredInTheOlderStringForm(t *testing.T) {
	in := gate.Request{ID: "sg_x", Spec: &gate.Spec{Owners: []string{"@alice"}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var older struct {
		Requirement string `json:"requirement"`
	}
	if err := json.Unmarshal(b, &older); err != nil || older.Requirement != `{"owners":["@alice"]}` {
		t.Fatalf("stored %s: requirement %q, err %v; want the spec's JSON as a string", b, older.Requirement, err)
	}
	var out gate.Request
	if err := json.Unmarshal(b, &out); err != nil || out.Spec == nil || len(out.Spec.Owners) != 1 {
		t.Fatalf("round trip: %+v %v", out.Spec, err)
	}
}
