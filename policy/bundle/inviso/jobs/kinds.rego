# Rules for the job kinds that bring something of the developer's next to their query: a
# homomorphic job's circuit and parameter set, a plugin job's binary. Their query (the group
# sums a homomorphic job scores, the release query over a plugin's output) is held to the rules
# of query.rego like any SQL job's.
package inviso.jobs

import data.inviso.config

deny contains reason("he_circuit_not_granted", sprintf("grant %s does not allow the homomorphic circuit %s", [grant_id, name(input.job.circuit)])) if {
	input.job.kind == "he"
	not input.job.circuit in granted_he_circuits
}

granted_he_circuits contains c if {
	is_array(input.grant.he_circuits)
	some c in input.grant.he_circuits
}

deny contains reason("he_params_not_allowed", sprintf("the parameter set %s is not one the policy allows (%s)", [name(input.job.params), concat(", ", config.he.param_sets)])) if {
	input.job.kind == "he"
	not input.job.params in config.he.param_sets
}

deny contains reason("plugin_not_approved", sprintf("plugin %s is not approved for grant %s", [name(input.job.plugin), grant_id])) if {
	input.job.kind == "plugin"
	not input.job.plugin in approved_plugins
}

approved_plugins contains d if {
	is_array(input.grant.plugins)
	some d in input.grant.plugins
}

# row_score and exact_count are computed from rows inside the sandbox: on a differentially
# private grant nothing would noise them. linear_score scores the (noisy) group sums.
deny contains reason("he_circuit_not_dp", sprintf("grant %s releases with differential privacy: only linear_score can run", [grant_id])) if {
	input.job.kind == "he"
	is_object(input.grant.dp)
	input.job.circuit != "linear_score"
}
