package models

// DecisionActions are the audit actions that record a decision of bureau
// staff: supervisors count, time and sample them. A decision that answers
// a request carries "waited_seconds" (from the request to the decision) in
// its audit event's after JSON.
var DecisionActions = []string{
	"change_request.approve", "change_request.reject",
	"unit.close", "unit.reopen",
	"deregistration.request", "deregistration.approve", "deregistration.reject",
	"case.resolve",
}
