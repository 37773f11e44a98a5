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
// Store): only its credentials can be replaced (see Credential rotation).
//
// With teams Kappa (no bucket) and Omega (a team bucket), Kappa's files are
// in the instance's bucket, so Omega's members may read them; Omega's files
// are in Omega's bucket, which Kappa's members may not use. A team created
// with its own bucket is isolated in the same way.
//
// # Availability
//
// Deployment and scope decide which providers a bucket may use, by the
// column address.Rules.Family gives: CoreWeave counts cwobject.com and
// cwlota.com, and s3:// addresses to them; AWS and S3-compatible are told
// apart by address.Flavor.
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
// parsed by address.ParseList), every team bucket must match an entry. An
// entry pins the service: the same family (address.Rules.Family: s3:// to a
// CoreWeave endpoint counts as cw://) and the same service identity
// (address.ServiceID), where an entry without an endpoint means the
// provider's own service, so s3://allowed is AWS's bucket "allowed" and not
// a bucket of that name on some other S3 server, and gs:// or az:// entries
// admit no other endpoint. Then the same account, bucket and sub-path (or a
// path below it) where the entry names them. Credentials are not compared.
// A bare scheme such as cw:// allows any bucket of its family on its own
// service. A self-managed instance must list its team buckets: without a
// list, CreateTeam refuses a team bucket with ErrNotSupportedStore and a
// fix that names the entry to add (Config.AnyStore lifts the rule, for tests
// and deployments that want no list). For the other deployments an empty
// list restricts nothing more.
//
// # Overlap between locations in one bucket
//
// A location rooted at sub-path P owns everything under P/ (the whole bucket
// when P is empty): its garbage collector, its listings and its retention
// rules may touch any key there. So two locations in the same bucket must
// have data prefixes that neither coincide nor nest: team sub-path "a" beside
// "b" is fine, "a" and "a/x" are not, and nothing may share a bucket with a
// location rooted at its top. The same bucket is judged by its canonical
// identity (address.BucketID: service, account and bucket, never
// credentials), so one bucket spelled two ways is one bucket: host names in
// any case and with or without a trailing dot, with or without the default
// port, IPv6 in long or short form, the provider's own endpoint spelled out
// or left out, every AWS endpoint of a partition (bucket names are unique
// per partition), CoreWeave's cwobject.com and cwlota.com; for file:// the
// file system is the bucket and the directory the prefix. What the identity
// cannot know is two DNS names for one server (a CNAME, a name and its IP
// address): those count as two buckets, so give every location of one
// server the same host name. CreateTeam refuses an overlap with ErrOverlap,
// naming both locations (redacted) and both prefixes; New refuses an
// instance address that overlaps an existing team, and Location a stored
// team that overlaps the instance (written under another configuration) or
// names another team's location.
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
// fit the provider's limits (address.Rules.Keys):
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
// a team it is a look-up that allocates nothing and writes no shared memory
// (no lock's reader count), so it scales with cores, since storage never
// changes. Buckets are opened once per location and shared: concurrent
// first requests wait for one Open (each waiter still honours its own
// context) rather than opening the bucket again. Registry.Close closes them. Location.Allow decides access: any
// user of the instance for an Instance location, members only for a Team
// location. Registry.Authorize combines resolution, access and the key check:
// it is what a pre-signer calls before signing.
//
// # Credential rotation
//
// Access keys rotate; a team's location does not. RotateCredentials replaces
// the keys of a team's own bucket, and RotateInstanceCredentials those of
// the instance's, with the keys of an address that must name exactly the
// same location (address.SameLocation: the same service, account, bucket
// and sub-path; the record keeps its own spelling), else ErrImmutable. A team on the instance's bucket
// has no keys of its own (ErrNoTeamBucket). The new keys must pass
// Config.Check first (ErrUnusable otherwise: nothing is written and the old
// keys stay in use). Then the open bucket switches to them atomically
// (provider.Handle.SetCredentials: requests signed afterwards use the new
// keys, and Location.Address shows them) and the store replaces the record's
// credentials, checking inside its lock that the location is unchanged; if
// the store fails, the bucket switches back. A rotation holds the location
// as an Open in flight does, and the caller that opens a bucket reads its
// record again, so no look-up opens a bucket with keys read before a
// rotation. Another process on the same store keeps its open buckets' keys
// until it restarts or is asked to rotate too (the same keys are fine).
//
// # Stores
//
// The team records live behind the Store interface (create-if-absent with a
// validation run atomically, get, list, and a credentials update with a
// validation run atomically), so a server can keep them in its own
// database; package storetest checks an implementation. A Record keeps the
// location (Storage, without credentials) apart from its Credentials, so a
// Store can keep the secret elsewhere, encrypted or in a secrets manager.
// MemStore keeps records in memory; FileStore in one JSON file (version 2:
// storage and keys apart; version 1 files still load), replaced atomically
// and locked with flock(2) around every read-modify-write, safe for several
// processes, created with mode 0600, and refused when other users can read
// it.
//
// This package never logs. Every type that holds keys, however deep
// (Registry, Config, Location, Record, MemStore, Error), prints them
// redacted under every fmt verb, log/slog and encoding/json, and no map is
// keyed by an address with keys.
//
// The registry depends on two function types, OpenFunc and CheckFunc, not on
// the provider package directly; ProviderOpen and ProviderCheck (provider.go,
// the integration point) adapt provider.Open and preflight.Check to them.
package scope
