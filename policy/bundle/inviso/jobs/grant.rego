# Rules on the grant and the caller, for every kind of job.
package inviso.jobs

import data.inviso.config

deny contains reason("grant_inactive", sprintf("grant %s is %s, not active", [grant_id, name(input.grant.state)])) if {
	is_string(input.grant.state)
	input.grant.state != "active"
}

deny contains reason("grant_expired", sprintf("grant %s expired at %s", [grant_id, name(input.grant.valid_until)])) if {
	has_type("timestamp", input.now)
	has_type("timestamp", input.grant.valid_until)
	time.parse_rfc3339_ns(input.now) >= time.parse_rfc3339_ns(input.grant.valid_until)
}

# The message does not say whose grant it is.
deny contains reason("not_grantee", sprintf("grant %s was not issued to %s", [grant_id, name(input.principal.id)])) if {
	is_string(input.principal.id)
	is_string(input.grant.developer)
	input.principal.id != input.grant.developer
}

deny contains reason("job_kind_not_granted", sprintf("grant %s does not allow %s jobs", [grant_id, name(input.job.kind)])) if {
	is_string(input.job.kind)
	not input.job.kind in granted_job_kinds
}

granted_job_kinds contains k if {
	is_array(input.grant.job_kinds)
	some k in input.grant.job_kinds
}

deny contains reason("job_kind_unsupported", sprintf("the policy has no rules for %s jobs", [name(input.job.kind)])) if {
	is_string(input.job.kind)
	not input.job.kind in config.job_kinds
}

deny contains reason("budget_exhausted", sprintf("grant %s has used all %v of its jobs", [grant_id, input.grant.job_budget])) if {
	is_number(input.grant.jobs_used)
	is_number(input.grant.job_budget)
	input.grant.jobs_used >= input.grant.job_budget
}
