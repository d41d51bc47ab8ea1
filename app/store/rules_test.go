package store_test

import (
	"testing"

	"github.com/stepgate/stepgate/app/store"
	"github.com/stepgate/stepgate/gate"
)

func TestValidID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want bool
	}{
		{gate.RequestID("k"), true},
		{gate.RequestID("another key"), true},
		{"", false},
		{"sg_", false},
		{"sg_ABCDEFGHIJKLMNOPQRSTUVWX", false},
		{gate.RequestID("k") + "a", false},
		{"xx" + gate.RequestID("k")[2:], false},
		{"sg_abcdefghijklmnopqrstuv1x", false},
	}
	for _, tc := range tests {
		if got := store.ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
