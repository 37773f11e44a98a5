package scope

import "github.com/byobkit/byob/address"

// Deployment is the kind of installation the registry serves.
type Deployment string

// The deployments. Testing is byob's own: the embedded providers only.
const (
	Dedicated   Deployment = "dedicated"    // Dedicated Cloud
	MultiTenant Deployment = "multi-tenant" // Multi-tenant (SaaS) Cloud
	SelfManaged Deployment = "self-managed" // Self-Managed
	Testing     Deployment = "testing"      // tests and examples: file:// and mem:// only
)

// Scope says who may use a location's files.
type Scope string

// The scopes.
const (
	// Instance: one bucket for the whole instance; any user of the
	// instance (with the server's permission) may use its files.
	Instance Scope = "instance"
	// Team: a bucket set when the team is created; only the team's
	// members may use its files.
	Team Scope = "team"
)

// availability is the matrix as data: what each deployment offers at each
// scope, by flavor family (address.Rules.Family, which counts CoreWeave's
// two endpoints, cwobject.com and cwlota.com, as one). The package
// documentation prints it as a table.
var availability = map[Deployment]map[Scope][]address.Flavor{
	Dedicated: {
		Instance: {address.FlavorAWS, address.FlavorS3Compatible, address.FlavorGCS, address.FlavorAzure},
		Team:     {address.FlavorAWS, address.FlavorS3Compatible, address.FlavorCoreWeave, address.FlavorGCS, address.FlavorAzure},
	},
	MultiTenant: {
		Instance: nil,
		Team:     {address.FlavorAWS, address.FlavorCoreWeave, address.FlavorGCS},
	},
	SelfManaged: {
		Instance: {address.FlavorAWS, address.FlavorS3Compatible, address.FlavorGCS, address.FlavorAzure, address.FlavorFile},
		Team:     {address.FlavorAWS, address.FlavorS3Compatible, address.FlavorCoreWeave, address.FlavorGCS, address.FlavorAzure},
	},
	Testing: {
		Instance: {address.FlavorFile, address.FlavorMem},
		Team:     {address.FlavorFile, address.FlavorMem},
	},
}

// Available reports whether deployment d offers storage of flavor f at scope
// s. A refusal is an *Error of kind ErrNotAvailable that says why.
func Available(d Deployment, s Scope, f address.Flavor) error {
	byScope, ok := availability[d]
	if !ok {
		return &Error{Op: "check availability", Kind: ErrInvalid,
			Detail: "unknown deployment " + quote(string(d)),
			Fix:    "use scope.Dedicated, scope.MultiTenant, scope.SelfManaged or scope.Testing"}
	}
	allowed, ok := byScope[s]
	if !ok {
		return &Error{Op: "check availability", Kind: ErrInvalid,
			Detail: "unknown scope " + quote(string(s)), Fix: "use scope.Instance or scope.Team"}
	}
	k := f.Rules().Family
	for _, a := range allowed {
		if a == k {
			return nil
		}
	}
	detail, fix := refusal(d, s, k)
	return &Error{Op: "check availability", Kind: ErrNotAvailable, Detail: detail, Fix: fix}
}

// refusal explains why a cell of the matrix is empty.
func refusal(d Deployment, s Scope, k address.Flavor) (detail, fix string) {
	cell := string(d) + " deployments do not offer " + string(k) + " storage at " + string(s) + " level"
	switch {
	case k == "":
		return "the address names no known provider", "use s3://, cw://, gs://, az://, file:// or mem://"
	case d == MultiTenant && s == Instance:
		return cell + " (multi-tenant cloud has no instance-level bring-your-own bucket)",
			"give each team its own bucket: CoreWeave, AWS S3 or GCS"
	case d == Testing:
		return cell + " (the testing deployment uses the embedded providers only)",
			"use file:// or mem:// in tests, or the deployment the server really runs as"
	case k == address.FlavorMem:
		return cell + " (mem:// keeps files in process memory and loses them at restart)",
			"use mem:// only with scope.Testing; use object storage here"
	case k == address.FlavorFile:
		return cell + " (file:// is only the embedded default of a self-managed instance)",
			"give the team object storage (S3, CoreWeave, GCS, Azure or S3-compatible)"
	case k == address.FlavorCoreWeave && s == Instance:
		return cell + " (CoreWeave is not yet available for instance storage)",
			"use CoreWeave as a team bucket, or AWS S3, GCS, Azure or an S3-compatible store for the instance"
	case d == MultiTenant:
		return cell + " (multi-tenant cloud team buckets are CoreWeave, AWS S3 or GCS)",
			"use a CoreWeave, AWS S3 or GCS bucket"
	}
	return cell, ""
}
