package preflight

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/byobkit/byob/address"
)

// The CORS policy the check's fixes set, exported for "byob policy", which
// prints it before there is a bucket to check: one copy of the policy, and
// the check's own rule evaluation to validate it, so the two cannot drift.

// ErrCORSPolicy is the kind of error CheckCORSDocument returns for a
// document that does not serve byob's browser requests.
var ErrCORSPolicy = errors.New("byob preflight: CORS policy incomplete")

// documentedCORSRule is the product's documented rule: methods from
// origin, any request header, ETag exposed, the documented max age.
func documentedCORSRule(origin string, methods []string) corsRule {
	return corsRule{Origins: []string{origin}, Methods: methods, Headers: []string{"*"}, Expose: []string{"ETag"}, MaxAge: DefaultCORSMaxAge}
}

// s3CORSDocument is the rule as put-bucket-cors takes it.
func s3CORSDocument(origin string, methods []string) map[string]any {
	r := documentedCORSRule(origin, methods)
	return map[string]any{"CORSRules": []map[string]any{{
		"AllowedOrigins": r.Origins,
		"AllowedMethods": r.Methods,
		"AllowedHeaders": r.Headers,
		"ExposeHeaders":  r.Expose,
		"MaxAgeSeconds":  r.MaxAge,
	}}}
}

// gcsCORSDocument is the rule as gsutil cors set and gcloud --cors-file
// take it. GCS has no allowed-headers field: responseHeader names each
// request header byob's URLs send, and ETag (see corsDialects).
func gcsCORSDocument(origin string, needs []corsNeed) []map[string]any {
	return []map[string]any{{
		"origin":         []string{origin},
		"method":         corsMethods(needs),
		"responseHeader": append(corsHeaderNames(needs), "ETag"),
		"maxAgeSeconds":  DefaultCORSMaxAge,
	}}
}

// azureCORSDocument is the rule in the storage account's ARM form, the
// cors property of blobServices/default (ARM templates, Bicep, az rest).
func azureCORSDocument(origin string, methods []string) map[string]any {
	r := documentedCORSRule(origin, methods)
	return map[string]any{"corsRules": []map[string]any{{
		"allowedOrigins":  r.Origins,
		"allowedMethods":  r.Methods,
		"allowedHeaders":  r.Headers,
		"exposedHeaders":  r.Expose,
		"maxAgeInSeconds": r.MaxAge,
	}}}
}

// azureCORSAdd is the az command that appends the documented rule to the
// account's blob service.
func azureCORSAdd(account, origin string, methods []string) string {
	r := documentedCORSRule(origin, methods)
	return "az storage cors add --services b --account-name " + shellQuote(account) +
		" --origins " + shellQuote(origin) + " --methods " + strings.Join(r.Methods, " ") +
		" --allowed-headers " + shellQuote(strings.Join(r.Headers, ",")) +
		" --exposed-headers " + strings.Join(r.Expose, ",") + " --max-age " + fmt.Sprint(r.MaxAge)
}

// policyNeeds are the requests the printed policy must serve: the
// documented GET, HEAD and PUT, no browser multipart.
func policyNeeds(a *address.Address) ([]corsNeed, corsDialect, error) {
	d, ok := corsDialects[a.Provider]
	if !ok {
		return nil, d, fmt.Errorf("byob preflight: %s buckets have no CORS settings", a.Provider)
	}
	return corsNeeds(a.Flavor(), d, false), d, nil
}

// CORSDocument returns the CORS policy byob needs on a's bucket for
// browsers at origin ("*" for any), as the JSON the provider's tools take:
// for S3 and CoreWeave the CORSConfiguration of aws s3api put-bucket-cors;
// for GCS the list of gsutil cors set and gcloud --cors-file; for Azure
// the cors property of the account's blobServices/default in ARM form.
// It is the rule the CORS check's fix sets.
func CORSDocument(a *address.Address, origin string) (any, error) {
	needs, _, err := policyNeeds(a)
	if err != nil {
		return nil, err
	}
	switch a.Provider {
	case address.GCS:
		return gcsCORSDocument(origin, needs), nil
	case address.Azure:
		return azureCORSDocument(origin, corsMethods(needs)), nil
	}
	return s3CORSDocument(origin, corsMethods(needs)), nil
}

// AzureCORSCommand is the az command that adds the documented CORS rule
// to a's storage account, as the check's fix writes it.
func AzureCORSCommand(a *address.Address, origin string) string {
	needs := corsNeeds(a.Flavor(), corsDialects[address.Azure], false)
	return azureCORSAdd(a.Account, origin, corsMethods(needs))
}

// AWSCommand starts an "aws s3api" command for a's bucket with the flags
// that reach its endpoint, as the check's fixes write it.
func AWSCommand(a *address.Address, op string) string { return awsCLI(a, op) }

// S3EncryptionCommand is the command that sets SSE-KMS with key as a's
// default encryption, as the encryption check's fix writes it.
func S3EncryptionCommand(a *address.Address, key string) string { return s3EncryptionFix(a, key) }

// CheckCORSDocument evaluates doc, in CORSDocument's format for a's
// provider, with the CORS check's own rule evaluation: nil when it serves
// every request byob's URLs make browsers at origin send (max age
// included), else an ErrCORSPolicy naming each problem. Unknown fields are
// an error: a misspelt field is a rule the provider would not apply.
func CheckCORSDocument(a *address.Address, doc []byte, origin string) error {
	needs, d, err := policyNeeds(a)
	if err != nil {
		return err
	}
	rules, err := parseCORSDocument(a.Provider, doc)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCORSPolicy, err)
	}
	problems, _ := evalCORS(rules, origin, needs, d)
	if len(problems) == 0 {
		return nil
	}
	texts := make([]string, len(problems))
	for i, p := range problems {
		texts[i] = p.text
	}
	return fmt.Errorf("%w: %s", ErrCORSPolicy, strings.Join(texts, "; "))
}

func parseCORSDocument(p address.Provider, doc []byte) ([]corsRule, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	var out []corsRule
	switch p {
	case address.GCS:
		var in []struct {
			Origin, Method, ResponseHeader []string
			MaxAgeSeconds                  int
		}
		if err := dec.Decode(&in); err != nil {
			return nil, err
		}
		for _, r := range in {
			out = append(out, corsRule{Origins: r.Origin, Methods: r.Method, Headers: r.ResponseHeader, Expose: r.ResponseHeader, MaxAge: r.MaxAgeSeconds})
		}
	case address.Azure:
		var in struct {
			CorsRules []struct {
				AllowedOrigins, AllowedMethods, AllowedHeaders, ExposedHeaders []string
				MaxAgeInSeconds                                                int
			}
		}
		if err := dec.Decode(&in); err != nil {
			return nil, err
		}
		for _, r := range in.CorsRules {
			out = append(out, corsRule{Origins: r.AllowedOrigins, Methods: r.AllowedMethods, Headers: r.AllowedHeaders, Expose: r.ExposedHeaders, MaxAge: r.MaxAgeInSeconds})
		}
	default:
		var in struct {
			CORSRules []struct {
				ID                                                            string
				AllowedOrigins, AllowedMethods, AllowedHeaders, ExposeHeaders []string
				MaxAgeSeconds                                                 int
			}
		}
		if err := dec.Decode(&in); err != nil {
			return nil, err
		}
		for _, r := range in.CORSRules {
			out = append(out, corsRule{Origins: r.AllowedOrigins, Methods: r.AllowedMethods, Headers: r.AllowedHeaders, Expose: r.ExposeHeaders, MaxAge: r.MaxAgeSeconds})
		}
	}
	return out, nil
}
