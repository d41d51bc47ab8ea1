package lifecycle

import (
	"github.com/stepgate/stepgate/app/ghapi"
	"github.com/stepgate/stepgate/app/render"
	"github.com/stepgate/stepgate/gate"
)

// A deployment request is rendered like a step's (render.CheckRun and
// render.Comment), with a section in front that says which job waits and
// what the App found about its workflow files, and wording for a job.

// decorateDeployment adapts the check run of a deployment request.
func decorateDeployment(cr *ghapi.CheckRun, r *gate.Request) {
	if r.Source != gate.SourceDeployment {
		return
	}
	cr.Title = truncate("Deployment to "+render.Plain(r.Environment)+": "+render.Title(r), 200)
	cr.Summary = render.DeploymentSection(r, maxWorkflowFiles) + render.DeploymentWording(cr.Summary)
	cr.Text = render.DeploymentWording(cr.Text)
	for i := range cr.Actions {
		switch cr.Actions[i].Identifier {
		case ActionApprove:
			cr.Actions[i].Description = "Let this job deploy"
		case ActionReject:
			cr.Actions[i].Description = "Stop this deployment"
		case ActionRemember:
			cr.Actions[i].Description = "Approve; same workflow passes next time"
		}
	}
}
