package dynamo

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDeployMatchesCode keeps deploy/table.yaml in step with what
// CreateTable creates.
func TestDeployMatchesCode(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../../deploy/table.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Resources struct {
			Table struct {
				Properties struct {
					AttributeDefinitions []struct {
						AttributeName string `yaml:"AttributeName"`
						AttributeType string `yaml:"AttributeType"`
					} `yaml:"AttributeDefinitions"`
					GlobalSecondaryIndexes []struct {
						IndexName string `yaml:"IndexName"`
						KeySchema []struct {
							AttributeName string `yaml:"AttributeName"`
						} `yaml:"KeySchema"`
						Projection struct {
							ProjectionType string `yaml:"ProjectionType"`
						} `yaml:"Projection"`
					} `yaml:"GlobalSecondaryIndexes"`
					TimeToLiveSpecification struct {
						AttributeName string `yaml:"AttributeName"`
					} `yaml:"TimeToLiveSpecification"`
					BillingMode string `yaml:"BillingMode"`
				} `yaml:"Properties"`
			} `yaml:"Table"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &tmpl); err != nil {
		t.Fatalf("parsing table.yaml: %v", err)
	}
	p := tmpl.Resources.Table.Properties
	want := tableInput("x")
	var gotAttrs, wantAttrs []string
	for _, a := range p.AttributeDefinitions {
		gotAttrs = append(gotAttrs, a.AttributeName+":"+a.AttributeType)
	}
	for _, a := range want.AttributeDefinitions {
		wantAttrs = append(wantAttrs, *a.AttributeName+":"+string(a.AttributeType))
	}
	var gotIdx, wantIdx []string
	for _, g := range p.GlobalSecondaryIndexes {
		gotIdx = append(gotIdx, g.IndexName+"("+g.KeySchema[0].AttributeName+","+g.KeySchema[1].AttributeName+")"+g.Projection.ProjectionType)
	}
	for _, g := range want.GlobalSecondaryIndexes {
		wantIdx = append(wantIdx, *g.IndexName+"("+*g.KeySchema[0].AttributeName+","+*g.KeySchema[1].AttributeName+")"+string(g.Projection.ProjectionType))
	}
	if !reflect.DeepEqual(gotAttrs, wantAttrs) || !reflect.DeepEqual(gotIdx, wantIdx) {
		t.Fatalf("table.yaml has attributes %v and indexes %v; code creates %v and %v", gotAttrs, gotIdx, wantAttrs, wantIdx)
	}
	if p.TimeToLiveSpecification.AttributeName != "ttl" || p.BillingMode != string(want.BillingMode) {
		t.Fatalf("table.yaml TTL %q billing %q", p.TimeToLiveSpecification.AttributeName, p.BillingMode)
	}
}

// TestIAMPoliciesMatchCalls keeps the IAM policies to exactly the calls the
// store makes.
func TestIAMPoliciesMatchCalls(t *testing.T) {
	t.Parallel()
	apiMethods := map[string]bool{}
	api := reflect.TypeFor[API]()
	for i := range api.NumMethod() {
		apiMethods["dynamodb:"+api.Method(i).Name] = true
	}
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"iam-app-policy.json", []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}},
		{"iam-operator-policy.json", []string{"dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateTimeToLive"}},
	} {
		raw, err := os.ReadFile("../../../deploy/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var pol struct{ Statement []struct{ Action []string } }
		if err := json.Unmarshal(raw, &pol); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		var got []string
		for _, st := range pol.Statement {
			got = append(got, st.Action...)
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s grants %v, want %v", tc.file, got, tc.want)
		}
		for _, a := range got {
			if !apiMethods[a] {
				t.Errorf("%s grants %s, which the store never calls", tc.file, a)
			}
		}
	}
}
