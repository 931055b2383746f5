package policy_test

import (
	"context"
	"fmt"
	"os"

	"github.com/inviso/inviso/policy"
)

// A job that returns one person's income is refused, with every reason.
func ExampleEngine_Decide() {
	ctx := context.Background()
	engine, err := policy.New(ctx) // once, at start; WithExtraDir adds an operator's modules
	if err != nil {
		fmt.Println(err)
		return
	}
	input, err := os.ReadFile("testdata/input/sample.json") // what the SQL analyser produces
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := engine.Decide(ctx, input)
	if err != nil {
		fmt.Println("log for the operator:", err) // d denies with policy_error
	}
	fmt.Println("allow:", d.Allow)
	for _, r := range d.Reasons {
		fmt.Printf("%s: %s\n", r.Code, r.Message)
	}
	// Output:
	// allow: false
	// raw_output: column citizens.income is returned raw, one value per row: every output must be a group key on a dimension column or an allowed aggregate
	// raw_output: output x returns a raw value per row: every output must be a group key on a dimension column or an allowed aggregate
	// table_not_granted: table benefits is not in grant gr_1
}
