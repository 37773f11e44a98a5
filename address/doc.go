// Package address parses and prints byob bucket addresses.
//
// An address names one bucket (an Azure container), an optional sub-path
// inside it, and how to reach it:
//
//	s3://<accessKey>:<secretKey>@<endpoint>/<bucket>[/<sub-path>]?region=<r>[&tls=true]
//	cw://<accessKey>:<secretKey>@cwobject.com/<bucket>?region=<zone>&tls=true
//	gs://<serviceAccountEmail>:<urlEncodedPrivateKey>@<bucket>[/<sub-path>]
//	az://:<urlEncodedAccountKey>@<account>/<container>[/<sub-path>]
//	s3://<bucket>, gs://<bucket>, az://<account>/<container>  (the server's ambient identity)
//	file:///absolute/dir, mem://<name>[/<sub-path>]           (the embedded default, tests)
//
// # Printing and errors
//
// Parse and URL round-trip; String prints the same canonical form with every
// secret replaced by REDACTED, and is what fmt, log/slog and encoding/json
// print for an Address. Errors are *Error values that name the field at fault
// and the fix, and never contain a secret, nor any other part of the input
// that could be one. An unencoded '@' after the host is refused: it could
// end a key that holds a '/', so where the address splits would be a guess.
// Write '@' as %40 in keys and in paths.
//
// # Identity
//
// Parse spells each address one way: host names in lowercase without a
// trailing '.', no default port, IPv6 in its short form, and no endpoint=
// for the provider's own. ServiceID and BucketID name the service and the
// bucket an address reaches, whatever its spelling and credentials, and
// SameLocation compares two addresses by them; Validate holds an Address
// built by hand to Parse's rules. What they cannot know is that two DNS
// names reach one server.
//
// # Credentials
//
// Credentials are an address's keys apart from its location:
// Address.Credentials, WithCredentials and WithoutCredentials take them
// apart and put them back, and ValidateCredentials checks new keys by
// Parse's rules before a rotation uses them. They print redacted, as an
// Address does.
//
// # Flavors
//
// A Flavor is the kind of service an address reaches, and Flavor.Rules is
// the one record of every fact that depends on it, as plain data: address
// rules (addressing style, TLS, region, default host, endpoint=), the
// family the availability matrix and the supported-stores list group it
// in, whether a wrong region fails, bucket naming rules, object-key limits
// (Rules.Keys), the batch-delete size, headers a presigned PUT needs, the
// presigned URL's requester parameter, whether listings are in byte order,
// and the S3 SDK settings (checksums, lowest TLS version, SDK-derived
// endpoint). Other packages derive their tables from it:
//
//	flavor          family          style           tls            region     strict  batch  user    sorted  legacy-sums  min-tls  sdk-endpoint
//	aws-s3          aws-s3          virtual-hosted  always         or-caller  yes     1000   X-User  yes     no           -        yes
//	s3-compatible   s3-compatible   path            opt-in         required   no      1000   X-User  yes     yes          -        no
//	coreweave       coreweave       virtual-hosted  required       with-keys  no      1000   X-User  yes     yes          1.3      no
//	coreweave-lota  coreweave       virtual-hosted  forbidden      with-keys  no      1000   X-User  yes     yes          -        no
//	gcs             gcs             path            from-endpoint  none       no      100    X-User  yes     no           -        no
//	azure-blob      azure-blob      virtual-hosted  from-endpoint  none       no      256    scid    yes     no           -        no
//	file            file            none            none           none       no      -      -       no      no           -        no
//	mem             mem             none            none           none       no      -      -       yes     no           -        no
//
// Azure's presigned PUT carries x-ms-blob-type: BlockBlob. An Azure endpoint
// reached by IP address or localhost (an emulator) takes the account in the
// path (Address.Style).
package address
