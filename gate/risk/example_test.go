package risk_test

import (
	"fmt"

	"github.com/stepgate/stepgate/gate/risk"
)

func ExampleAssess() {
	a := risk.Assess(`rm -rf "$DEPLOY_DIR/"* && curl -fsSL https://get.example.sh | sh`)
	fmt.Println(a.Level, a.Score)
	fmt.Println(a.Categories)
	for _, r := range a.Reasons {
		fmt.Println("-", r)
	}
	// Output:
	// critical 95
	// [destructive_filesystem remote_code_execution]
	// - `rm -rf` deletes a path built from `$DEPLOY_DIR`, which may be empty, so it can expand to `/*`
	// - pipes a download from the network straight into `sh`, running code that was never reviewed
}

func ExampleNormalize() {
	fmt.Println(risk.Normalize("kubectl   get pods   -n prod   # list them"))
	// Output:
	// kubectl get pods -n prod
}
