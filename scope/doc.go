// Package scope decides where each team's files live and who may use them:
// the registry of team storage, between the provider package (which opens
// buckets) and the pre-signer (which consults it before signing anything).
//
// # Scopes
//
// The instance has one bucket: any user of the instance (with the server's
// permission) may use the files stored there. A team may be created with a
// bucket of its own: only the team's members may use the files stored in it.
// A team created without one uses the instance's bucket. A team's storage is
// fixed when the team is created (ErrImmutable afterwards, whatever the
// Store: the Store interface has no update).
//
// With teams Kappa (no bucket) and Omega (a team bucket), Kappa's files are
// in the instance's bucket, so Omega's members may read them; Omega's files
// are in Omega's bucket, which Kappa's members may not use. A team created
// with its own bucket is isolated in the same way.
//
// # Availability
//
// Deployment and scope decide which providers a bucket may use. CoreWeave
// counts cwobject.com and cwlota.com, and s3:// addresses to them; AWS and
// S3-compatible are told apart by address.Flavor.
//
//	deployment    scope     aws-s3  s3-compatible  coreweave  gcs  azure  file  mem
//	dedicated     instance  yes     yes            no (1)     yes  yes    no    no
//	dedicated     team      yes     yes            yes        yes  yes    no    no
//	multi-tenant  instance  no (2)  no             no         no   no     no    no
//	multi-tenant  team      yes     no             yes        yes  no     no    no
//	self-managed  instance  yes     yes            no (1)     yes  yes    yes   no
//	self-managed  team      yes     yes            yes        yes  yes    no    no
//	testing       instance  no      no             no         no   no     yes   yes
//	testing       team      no      no             no         no   no     yes   yes
//
// (1) CoreWeave is not yet offered for instance storage. (2) Multi-tenant
// cloud has no instance-level bring-your-own bucket, so a team needs its own.
//
// The embedded providers: file:// is the default storage of a self-managed
// instance (a directory on the server), and nothing else outside tests (a
// team bucket on the server's own disk defeats bringing your own bucket).
// mem:// keeps files in process memory and loses them at restart, so it
// exists only in the Testing deployment, byob's own, which offers file://
// and mem:// at both scopes and nothing else.
//
// When the instance has a supported-stores list (GORILLA_SUPPORTED_FILE_STORES,
// parsed by address.ParseList), every team bucket must match an entry: the
// same provider (s3:// to a CoreWeave endpoint counts as cw://), and the same
// endpoint, account, bucket and sub-path (or a path below it) where the entry
// names them. Credentials are not compared. A bare scheme such as cw:// allows
// any bucket of that provider. An empty list restricts nothing more.
//
// # Overlap between locations in one bucket
//
// A location rooted at sub-path P owns everything under P/ (the whole bucket
// when P is empty): its garbage collector, its listings and its retention
// rules may touch any key there. So two locations in the same bucket must
// have data prefixes that neither coincide nor nest: team sub-path "a" beside
// "b" is fine, "a" and "a/x" are not, and nothing may share a bucket with a
// location rooted at its top. The same bucket is judged by provider,
// endpoint, account and bucket name, without credentials; every AWS endpoint
// counts as one (bucket names are unique per partition), cwobject.com and
// cwlota.com as one, and for file:// the file system is the bucket and the
// directory the prefix. CreateTeam refuses an overlap with ErrOverlap, naming
// both locations (redacted) and both prefixes; New refuses an instance
// address that overlaps an existing team, and Location a stored team that
// overlaps the instance (written under another configuration).
//
// This reconciles the documented topologies with the documented danger.
// "The same bucket can serve the instance and one or more teams" holds with
// the instance rooted at a sub-path, e.g. s3://bkt/instance beside
// s3://bkt/teams/omega; "several teams can share one bucket under different
// sub-paths" holds as it is; buckets of different providers and regions
// never overlap. Refused: a team whose sub-path equals the instance's, and a
// team at "wandb_artifacts" in a bucket whose top is the instance's, whose
// artifact files live under wandb_artifacts/ and whose collector would take
// the team's files for unreferenced ones and delete them.
//
// A finer rule was considered and rejected: letting a team nest inside an
// instance rooted at the bucket's top, outside the instance's known
// prefixes. Those prefixes are not a closed set: besides wandb_artifacts/,
// run files live under <entity>/<project>/ for every user and team entity
// that uses the instance bucket, and where artifact manifests live is not
// public. A team sub-path could therefore always collide with some entity's
// run files, and an instance location containing a team's files would let
// any instance user reach them through keys under the team's sub-path.
// Under the rule above, no location's key space contains another's, so key
// confinement (below) is also access confinement.
//
// # Keys
//
// Every object key a caller passes is checked (Location.CheckKey) before use:
// it is relative to the location's prefix; it must be valid UTF-8 made of
// non-empty '/'-separated segments, none "." or "..", with no leading '/',
// no '\', no control character (C0, DEL, C1), and no %XX escape that decodes
// to '/', '\', '.', '%', a control character or a non-ASCII byte (%2e%2e,
// %2F, %00, %252e and overlong UTF-8 such as %C0%AE are all refused).
// Escapes of other printable ASCII (%20, %41) are plain characters, and so is
// a bare '%' not followed by two hex digits ("100%"), but not both in one key:
// "%%32%65" decodes once to "%2e" and twice to ".". So no layer that decodes
// once or twice, strictly or leniently, sees another path. A refused key is
// an error of kind ErrKey, never cleaned. The full key (prefix + key) must
// fit the provider's limits:
//
//	provider                           full key            also
//	aws-s3, s3-compatible, coreweave   1024 bytes
//	gcs                                1024 bytes
//	azure                              1024 characters     at most 254 segments; no segment ends in '.' (dropped by URL normalisation)
//	file                               4095 bytes of path  segments at most 255 bytes, the last 249 and not ending ".attrs" (fileblob's sidecar files)
//	mem                                1024 bytes          the clouds' limit, so tests catch long keys
//
// # Resolution and access
//
// Registry.Location resolves a team's location: after the first request for
// a team it is a map look-up under a read lock, with no allocation, since
// storage never changes. Buckets are opened once per distinct address and
// shared: concurrent first requests wait for one Open (each waiter still
// honours its own context) rather than opening the bucket again.
// Registry.Close closes them. Location.Allow decides access: any
// user of the instance for an Instance location, members only for a Team
// location. Registry.Authorize combines resolution, access and the key check:
// it is what a pre-signer calls before signing.
//
// # Stores
//
// The team records live behind the Store interface (create-if-absent with a
// validation run atomically, get, list), so a server can keep them in its own
// database; package storetest checks an implementation. MemStore keeps them
// in memory; FileStore in one JSON file, replaced atomically and locked with
// flock(2) around every read-modify-write, safe for several processes.
// Records hold addresses with their credentials: FileStore writes a.URL()
// into a file created with mode 0600 and refuses a file other users can
// read. This package never logs; its errors print addresses redacted.
//
// The registry depends on two function types, OpenFunc and CheckFunc, not on
// the provider package directly; ProviderOpen and ProviderCheck (provider.go,
// the integration point) adapt provider.Open and preflight.Check to them.
package scope
