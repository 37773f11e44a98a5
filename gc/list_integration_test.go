package gc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/byobkit/byob/address"
	"github.com/byobkit/byob/internal/testenv"
	"github.com/byobkit/byob/provider"
	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// serverKeys are keys whose first byte after the data prefix spans the
// printable range (the characters URLs escape included) and non-ASCII,
// with the pairs a store must not merge or reorder: "a b" and "a/b",
// case, é composed and decomposed, "%2F" and "/".
var serverKeys = keys(
	"a b", "a/b", "a-b", "a/c/d", "A", "0/1/x", "9", " x", "!", "%2F1", "%/1", "+1", "=", "?q", "#f", "&", "~",
	"caf\u00e9", "cafe\u0301", "\u00e9/1", "\U0001F600", "z/", "z/1",
)

// TestShardListingsOnRealServers lists serverKeys on versitygw, Azurite
// and fake-gcs-server: for 1, 3, 7 and 16 shards, together the shards
// list every key exactly once, each shard in byte order, without a
// listing error. It trusts each server's order as the flavor's rules do.
//
// Azurite (3.37.0), an emulator, has two faults the verification stops:
// its listing is not in byte order ("#f", "%2F1" and "?q" after "A"), and
// a prefix ending in "_" also matches those keys (as in SQL LIKE). There
// the test shows that a trusted listing stops with ErrListOrder, that
// byob's own sorting lists the whole keyspace exactly, and that the shard
// listing "_" belongs to stops with an error rather than list other
// shards' keys. Real Azure documents its listings in alphabetical order.
func TestShardListingsOnRealServers(t *testing.T) {
	servers := []struct {
		name      string
		misorders bool // the server's listing is not in byte order (an emulator fault)
		open      func(t *testing.T) *address.Address
	}{
		{"versitygw", false, func(t *testing.T) *address.Address {
			srv := testenv.S3(t)
			bucket := uniqueBucket(t)
			c := srv.Client()
			_, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
			var owned *types.BucketAlreadyOwnedByYou
			if err != nil && !errors.As(err, &owned) {
				t.Fatalf("CreateBucket: %v", err)
			}
			return mustParseAddress(t, "s3://"+url.QueryEscape(srv.AccessKey)+":"+url.QueryEscape(srv.SecretKey)+"@"+srv.Endpoint+"/"+bucket+"/team/sub?region=us-east-1")
		}},
		{"Azurite", true, func(t *testing.T) *address.Address {
			srv := testenv.Azurite(t)
			name := uniqueBucket(t)
			cred, err := container.NewSharedKeyCredential(srv.Account, srv.Key)
			if err != nil {
				t.Fatal(err)
			}
			c, err := container.NewClientWithSharedKeyCredential(srv.Endpoint+"/"+srv.Account+"/"+name, cred, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Create(t.Context(), nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
				t.Fatalf("create container: %v", err)
			}
			return mustParseAddress(t, "az://:"+url.QueryEscape(srv.Key)+"@"+srv.Account+"/"+name+"/team/sub?endpoint="+url.QueryEscape(srv.Endpoint))
		}},
		{"fake-gcs-server", false, func(t *testing.T) *address.Address {
			srv, _ := testenv.FakeGCS(t)
			bucket := uniqueBucket(t)
			srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
			return mustParseAddress(t, "gs://"+bucket+"/team/sub?endpoint="+url.QueryEscape(srv.URL()))
		}},
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			h, err := provider.Open(ctx, s.open(t))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer h.Close()
			b := h.Bucket()
			// Empty: S3 servers refuse data in a key ending in "/".
			for _, k := range append(slices.Clone(serverKeys), pfx, "wandb_artifacts_old/1", "run/x") {
				if err := b.WriteAll(ctx, k, nil, nil); err != nil {
					t.Fatalf("write %q: %v", k, err)
				}
			}
			want := slices.Sorted(slices.Values(serverKeys))
			sorted := h.Rules().ListSorted
			counts := []int{1, 3, 7, 16}
			if s.misorders {
				_, err := listKeys(t, b, ListOptions{DataPrefix: pfx, Sorted: true})
				wantKind(t, err, ErrListOrder)
				sorted, counts = false, []int{1}
				sh := Shard{Index: ('_' - 0x20) % 3, Count: 3}
				_, err = listKeys(t, b, ListOptions{DataPrefix: pfx, Shard: sh, Sorted: false})
				if !errors.Is(err, ErrListOrder) && !errors.Is(err, ErrOutOfRange) {
					t.Fatalf("shard %v (which lists the prefix \"_\"): error %v, want the verification to stop it", sh, err)
				}
			}
			for _, n := range counts {
				var all []string
				for i := range n {
					got, err := listKeys(t, b, ListOptions{DataPrefix: pfx, Shard: Shard{Index: i, Count: n}, Sorted: sorted})
					if err != nil {
						t.Fatalf("%d shards, shard %d: %v", n, i, err)
					}
					all = append(all, got...)
				}
				slices.Sort(all)
				if !slices.Equal(all, want) {
					t.Fatalf("%d shards listed %q together, want %q", n, all, want)
				}
			}
		})
	}
}

func uniqueBucket(t *testing.T) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "byob-gc-" + hex.EncodeToString(b[:])
}

func mustParseAddress(t *testing.T, s string) *address.Address {
	t.Helper()
	a, err := address.Parse(s)
	if err != nil {
		t.Fatalf("parse address: %v", err)
	}
	return a
}
