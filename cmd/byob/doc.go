// Command byob is the operator's tool for byob bucket addresses and
// buckets, the collector over manifest files on disk, and the demo of the
// whole library on the embedded default.
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
//	byob serve --dir DIR [--listen HOST:PORT] [--origin O]…
//	                               serve a file:// bucket behind the signed-URL handler
//	byob gc '<address>' --manifests DIR [flags]
//	                               collect the artifact files no manifest in DIR keeps
//	byob restore '<address>' --journal PATH [--run ID]
//	                               undo gc runs from their journal
//
// 'byob help' (or -h, --help) lists the commands; every command prints
// its flags, its --json shape and examples with -h.
//
// # Output for machines: --json
//
// Every command takes --json and then prints exactly one JSON object on
// one line (policy: indented), and nothing else on stdout. The shapes are
// stable: fields are added, never renamed or removed, and every field is
// always present (strings may be "", lists [], maps {}). A command that
// fails with no result to show (a usage error, bad input, a refusal, a
// bucket that cannot be opened, a URL that cannot be signed) prints one
// line on stderr and nothing on stdout, with --json too. check, gc,
// restore and demo print their object also when their work found
// problems or failed, and say so in it ("result" and "exit"; "ok",
// "exit" and "error"); gc, restore and demo then repeat the error on
// stderr.
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
//	gc       {"ok","exit","error","runId","dryRun","mode","location","manifests","journal","shard",
//	          "scanned","live","candidates","tooYoung","keptOnClaim","deleted","alreadyGone",
//	          "failed","skipped","bytesReclaimed","uploadsFound","uploadsAborted","requests",
//	          "errors":{KIND:N},"firstErrors":[…],"started","durationMs"}
//	restore  {"ok","exit","error","location","journal","run","runs":[…],"keys","restored",
//	          "present","lost","failed","alreadyGone","uploadsNotRestorable","firstLost":[…],
//	          "errors":{KIND:N},"firstErrors":[…],"started","durationMs"}
//
// The values each field takes are in the command's -h (gc: keptOnClaim is
// -1 when unknown, journal "" on a dry run without --journal; mode is
// "versions", "soft-delete", "trash" or "none"; errors counts failures by
// kind, such as "PermissionDenied"). policy's shape predates the others
// and keeps its snake_case sub_path.
//
// # Output for people: colour and progress
//
// Text output is coloured only when stdout is a terminal (a character
// device), never with --json, never into a pipe or a file, and never when
// NO_COLOR is set (to anything) or TERM=dumb. Colour adds nothing: without
// its escape sequences the text is the same as the plain text.
//
// gc reports its progress on stderr, with --json too, and its summary
// table (or object) on stdout. When stderr is a terminal, CI is unset and
// TERM is not dumb, the progress is one bar redrawn in place (carriage
// return and erase-line; it has no colour, so NO_COLOR leaves it); else it
// is plain lines, "byob gc: PHASE: scanned N  candidates N  deleted N
// (BYTES)", one when each of the sweep, delete and uploads phases starts
// and at most one every 5 s within a phase. restore prints no progress,
// only its summary.
//
// # Exit status
//
//	0  done; check: every finding ok; gc: the run went to its end without
//	   an error; restore: every file is back or was present
//	1  check: the worst finding is a warning, or a check could not run;
//	   presign, serve, demo: the work failed (signing, serving, a demo step);
//	   gc: the run ended, or stopped, with errors (deletes that failed, a
//	   source, journal or bucket that failed, a signal): run it again once
//	   fixed; restore: some files failed or are lost, or journal lines could
//	   not be read: restore again once fixed
//	2  bad input or a usage error (one line on stderr naming the fix);
//	   check: an error finding; gc: refused before its first delete
//	   (options it refuses, a run that could not be undone), or stopped by
//	   a manifest byob cannot read (before the sweep, or before the next
//	   batch); restore: refused before anything was restored (a journal
//	   that cannot be opened, holds no run it can read, is of another
//	   location, or lacks the run asked for or its start record; a run
//	   that kept nothing). An empty journal restores nothing, exit 0.
//
// # Secrets
//
// Secrets are never printed: addresses are shown with REDACTED in place of
// every key, and so is any argument that may hold an address (one with
// "://" or '@' in it) whenever a message quotes it; one that does not parse
// is not shown at all. A presigned URL is printed only by presign, which
// exists to print it. gc and restore refuse an address-like value where
// they take a local path or a key prefix, and their journal holds the
// location without credentials.
//
// # Environment
//
// check, presign, gc and restore use AWS_REGION for an AWS address that
// names no region; check requires SSE-KMS with the key in AWS_S3_KMS_ID
// for s3:// and cw:// addresses unless --kms-key says otherwise. gc
// --shard job/N reads its index from JOB_COMPLETION_INDEX (a Kubernetes
// Indexed Job). NO_COLOR, TERM and CI are read as above.
package main
