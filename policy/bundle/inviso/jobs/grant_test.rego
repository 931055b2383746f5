# Tests of the rules on the grant and the caller.
package inviso.jobs_test

test_grant_inactive if {
	only([rep("/grant/state", "revoked")], {"grant_inactive"})
	messages(patch([rep("/grant/state", "suspended")]), "grant_inactive") == {"grant gr_1 is suspended, not active"}
}

test_grant_active_allowed if allowed([rep("/grant/state", "active")])

test_grant_expired_at_valid_until if {
	only([rep("/now", "2027-01-01T00:00:00Z")], {"grant_expired"})
}

test_grant_expired_after if {
	only([rep("/now", "2027-03-01T10:00:00+01:00")], {"grant_expired"})
}

test_grant_expired_compares_instants_not_strings if {
	# 00:30 at +01:00 is 23:30 UTC the day before: still valid.
	allowed([rep("/now", "2027-01-01T00:30:00+01:00")])
	only([rep("/now", "2027-01-01T00:30:00-01:00")], {"grant_expired"})
}

test_grant_valid_just_before_expiry if allowed([rep("/now", "2026-12-31T23:59:59.999999999Z")])

test_not_grantee if {
	only([rep("/principal/id", "mallory")], {"not_grantee"})
	messages(patch([rep("/principal/id", "mallory")]), "not_grantee") == {"grant gr_1 was not issued to mallory"}
}

test_not_grantee_is_case_sensitive if only([rep("/principal/id", "DEV")], {"not_grantee"})

test_job_kind_not_granted if {
	only([rep("/grant/job_kinds", ["plugin"])], {"job_kind_not_granted"})
	only([rep("/grant/job_kinds", [])], {"job_kind_not_granted"})
	only([rep("/grant/job_kinds", null)], {"job_kind_not_granted"})
}

test_job_kind_granted_among_others if allowed([rep("/grant/job_kinds", ["plugin", "sql"])])

test_job_kind_unsupported if {
	# A kind the policy has no rules for is refused even when the grant lists it.
	only([rep("/job/kind", "shell"), rep("/grant/job_kinds", ["shell"])], {"job_kind_unsupported"})
	codes(patch([rep("/job/kind", "shell")])) == {"job_kind_unsupported", "job_kind_not_granted"}
}

test_budget_exhausted if {
	only([rep("/grant/jobs_used", 100)], {"budget_exhausted"})
	only([rep("/grant/jobs_used", 101)], {"budget_exhausted"})
	only([rep("/grant/job_budget", 0), rep("/grant/jobs_used", 0)], {"budget_exhausted"})
	messages(patch([rep("/grant/jobs_used", 100)]), "budget_exhausted") == {"grant gr_1 has used all 100 of its jobs"}
}

test_budget_last_job_allowed if allowed([rep("/grant/jobs_used", 99)])

test_every_grant_reason_at_once if {
	inp := patch([
		rep("/grant/state", "revoked"),
		rep("/now", "2028-01-01T00:00:00Z"),
		rep("/principal/id", "mallory"),
		rep("/grant/job_kinds", []),
		rep("/grant/jobs_used", 1000),
	])
	codes(inp) == {"grant_inactive", "grant_expired", "not_grantee", "job_kind_not_granted", "budget_exhausted"}
}
