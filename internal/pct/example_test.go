package pct_test

import (
	"fmt"

	"github.com/byobkit/byob/internal/pct"
)

// Decoding one %XX escape, as the address parser and the key checker do.
func Example() {
	esc := "%2F"
	if pct.IsHex(esc[1]) && pct.IsHex(esc[2]) {
		fmt.Printf("%s decodes to %q\n", esc, pct.Unhex(esc[1])<<4|pct.Unhex(esc[2]))
	}
	fmt.Println("%zz is an escape:", pct.IsHex('z'))
	// Output:
	// %2F decodes to '/'
	// %zz is an escape: false
}
