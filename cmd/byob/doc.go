// Command byob is the operator's tool for byob bucket addresses and
// buckets, and the demo of the whole library on the embedded default.
//
// Usage:
//
//	byob demo                      the whole story on a temporary file:// bucket
//	byob address '<address>'…      parse addresses (or a supported-stores list); explain them
//	byob check [flags] '<address>' check a bucket (or a running byob serve); print each finding and its fix
//	byob policy <provider> --bucket NAME [flags]
//	                               print the bucket settings byob needs, filled in
//	byob presign [flags] '<address>' KEY
//	                               sign one request; print it and a curl line
//	byob serve --dir DIR           serve a file:// bucket behind the signed-URL handler
//
// Every command prints its flags, its --json shape and examples with -h.
//
// # Output for machines: --json
//
// Every command takes --json and then prints exactly one JSON object on
// one line (policy: indented), and nothing else on stdout. The shapes are
// stable: fields are added, never renamed or removed, and every field is
// always present (strings may be "", lists []). Errors never go to stdout:
// with --json too, a usage error or bad input prints one line on stderr.
//
//	address  {"addresses":[{"address","provider","flavor","bare","endpoint","service",
//	          "addressing","account","bucket","subPath","region","regionFrom",
//	          "regionProblem","tls","credentials","identity"}]}
//	check    {"address","result","exit","counts":{"ok","warning","couldNotCheck","error"},
//	          "findings":[{"check","status","saw","fix","permission"}]}
//	policy   {"provider","flavor","bucket","sub_path","origin",
//	          "sections":[{"name","comment","files":[{"name","format","content"}],"commands","notes"}]}
//	presign  {"method","url","headers":{NAME:VALUE},"expires","curl"}
//	serve    {"baseURL","dir","state","staging"}   (the ready line; the server keeps running)
//	demo     {"ok","error","steps":[{"title","lines"}]}
//
// The values each field takes are in the command's -h. policy's shape
// predates the others and keeps its snake_case sub_path.
//
// # Output for people: colour
//
// Text output is coloured only when stdout is a terminal (a character
// device), never with --json, never into a pipe or a file, and never when
// NO_COLOR is set (to anything) or TERM=dumb. Colour adds nothing: without
// its escape sequences the text is the same as the plain text.
//
// # Exit status
//
//	0  done; check: every finding ok
//	1  check: the worst finding is a warning, or a check could not run;
//	   presign, serve, demo: the work failed (signing, serving, a demo step)
//	2  bad input or a usage error (one line on stderr naming the fix);
//	   check: an error finding
//
// # Secrets
//
// Secrets are never printed: addresses are shown with REDACTED in place of
// every key, and so is any argument that may hold an address (one with
// "://" or '@' in it) whenever a message quotes it; one that does not parse
// is not shown at all. A presigned URL is printed only by presign, which
// exists to print it.
//
// # Environment
//
// check and presign use AWS_REGION for an AWS address that names no
// region; check requires SSE-KMS with the key in AWS_S3_KMS_ID for s3://
// and cw:// addresses unless --kms-key says otherwise.
package main
