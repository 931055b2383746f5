# Tests of the rules for homomorphic and plugin jobs.
package inviso.jobs_test

he_job := [
	rep("/job", {"kind": "he", "circuit": "linear_score", "params": "ckks-n13"}),
	rep("/grant/job_kinds", ["he"]),
	add("/grant/he_circuits", ["linear_score", "exact_count"]),
]

test_he_job_allowed if allowed(he_job)

test_he_circuit_not_granted if {
	only(array.concat(he_job, [rep("/job/circuit", "row_score")]), {"he_circuit_not_granted"})
	only(array.concat(he_job, [rep("/grant/he_circuits", null)]), {"he_circuit_not_granted"})
}

test_he_params_not_allowed if {
	only(array.concat(he_job, [rep("/job/params", "ckks-n12-toy")]), {"he_params_not_allowed"})
}

test_he_query_held_to_query_rules if {
	# The group sums of a homomorphic job are a query like any other.
	codes(patch(array.concat(he_job, [rep("/query/outputs/0/kind", "projected_raw")]))) == {"raw_output"}
}

plugin_job := [
	rep("/job", {"kind": "plugin", "plugin": "sha256:aa"}),
	rep("/grant/job_kinds", ["plugin"]),
	add("/grant/plugins", ["sha256:aa", "sha256:bb"]),
]

test_plugin_job_allowed if allowed(plugin_job)

test_plugin_not_approved if {
	only(array.concat(plugin_job, [rep("/job/plugin", "sha256:cc")]), {"plugin_not_approved"})
	only(array.concat(plugin_job, [rep("/grant/plugins", [])]), {"plugin_not_approved"})
	messages(patch(array.concat(plugin_job, [rep("/job/plugin", "sha256:cc")])), "plugin_not_approved") == {"plugin sha256:cc is not approved for grant gr_1"}
}

test_he_on_dp_grant_only_linear_score if {
	allowed(array.concat(he_job, [add("/grant/dp", {"epsilon": 1})]))
	only(array.concat(he_job, [add("/grant/dp", {"epsilon": 1}), rep("/job/circuit", "exact_count")]), {"he_circuit_not_dp"})
}
