// Command example is the end-to-end use of the cordvault Go SDK against a
// running manager, as example.py is for the Python one: register, log in,
// create a folder, upload a multi-chunk file with the helper and a small file
// with the raw stubs, list, read both back and compare. Exits non-zero on any
// mismatch or failed call.
//
//	go run ./example --address http://127.0.0.1:8080
//
// Register needs no token only for the first account of a server; on a
// server that already has users, pass an administrator with --admin-username
// and --admin-password.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"google.golang.org/grpc/status"

	cordvault "cordvault.dev/sdk"
	cordvaultv1 "cordvault.dev/sdk/gen/cordvault/v1"
)

func check(condition bool, format string, args ...interface{}) {
	if !condition {
		fmt.Fprintf(os.Stderr, "MISMATCH: "+format+"\n", args...)
		os.Exit(1)
	}
}

// must stops on a failed call, as example.py does on grpc.RpcError.
func must(err error) {
	if err != nil {
		if s, ok := status.FromError(err); ok {
			fmt.Fprintf(os.Stderr, "call failed: %s: %s\n", s.Code(), s.Message())
		} else {
			fmt.Fprintf(os.Stderr, "call failed: %v\n", err)
		}
		os.Exit(1)
	}
}

func randomBytes(n int) []byte {
	data := make([]byte, n)
	_, err := rand.Read(data)
	must(err)
	return data
}

func sha256Hex(data []byte) string {
	digest := sha256.Sum256(data)
	return hex.EncodeToString(digest[:])
}

func main() {
	address := flag.String("address", "http://127.0.0.1:8080", "the manager: http://host:port or https://host:port")
	adminUsername := flag.String("admin-username", "", "an administrator, when the server already has users")
	adminPassword := flag.String("admin-password", "", "the administrator's password")
	flag.Parse()

	ctx := context.Background()
	conn, err := cordvault.Connect(*address)
	must(err)
	defer conn.Close()
	auth := cordvaultv1.NewAuthServiceClient(conn)
	files := cordvaultv1.NewFileServiceClient(conn)
	transfer := cordvaultv1.NewTransferServiceClient(conn)

	// 1. An account of our own, then a token for it.
	registerCtx := ctx
	if *adminUsername != "" {
		admin, err := auth.Login(ctx, &cordvaultv1.LoginRequest{Username: *adminUsername, Password: *adminPassword})
		must(err)
		registerCtx = cordvault.WithToken(ctx, admin.Token)
	}
	username := "sdk_" + hex.EncodeToString(randomBytes(4))
	password := base64.RawURLEncoding.EncodeToString(randomBytes(16))
	registered, err := auth.Register(registerCtx, &cordvaultv1.RegisterRequest{Username: username, Password: password})
	must(err)
	user := registered.User
	fmt.Printf("registered %s (id %d, admin=%t)\n", user.Username, user.Id, user.IsAdmin)
	login, err := auth.Login(ctx, &cordvaultv1.LoginRequest{Username: username, Password: password})
	must(err)
	token := login.Token
	authed := cordvault.WithToken(ctx, token)
	who, err := auth.WhoAmI(authed, &cordvaultv1.WhoAmIRequest{})
	must(err)
	check(who.User.Username == username, "WhoAmI says %s, expected %s", who.User.Username, username)
	fmt.Printf("logged in as %s\n", who.User.Username)

	// 2. A folder to work in.
	folder := "/" + username + "-example"
	_, err = files.CreateFolder(authed, &cordvaultv1.CreateFolderRequest{Path: folder})
	must(err)
	fmt.Printf("created folder %s\n", folder)

	// 3. A few MiB of random bytes: several chunks at the default 4 MiB.
	big := randomBytes(9*1024*1024 + 12345)
	bigPath := folder + "/big.bin"
	var chunkCount uint64
	entry, err := cordvault.Upload(ctx, conn, token, bigPath, big, cordvault.UploadOptions{
		Progress: func(_, count uint64) { chunkCount = count },
	})
	must(err)
	check(entry.Size == uint64(len(big)), "%s: size %d, expected %d", bigPath, entry.Size, len(big))
	check(entry.Sha256 == sha256Hex(big), "%s: sha256 differs", bigPath)
	fmt.Printf("uploaded %s: %d bytes in %d chunks\n", bigPath, entry.Size, chunkCount)
	check(chunkCount > 1, "%s should span several chunks, took %d", bigPath, chunkCount)

	// 4. A small file with the generated stubs alone: StartUpload, PutChunk, CommitUpload.
	small := []byte("hello from the cordvault Go SDK\n")
	smallPath := folder + "/hello.txt"
	start, err := transfer.StartUpload(authed, &cordvaultv1.StartUploadRequest{
		Path:           smallPath,
		Size:           uint64(len(small)),
		Sha256:         sha256Hex(small),
		ConflictPolicy: cordvaultv1.ConflictPolicy_CONFLICT_POLICY_FAIL,
	})
	must(err)
	check(start.ChunkCount == 1, "%s: %d chunks, expected 1", smallPath, start.ChunkCount)
	chunkConn, chunkCtx := conn, authed
	if start.UploadEndpoint != "" {
		chunkConn, err = cordvault.Connect(start.UploadEndpoint)
		must(err)
		chunkCtx = cordvault.WithToken(ctx, start.UploadToken)
	}
	_, err = cordvaultv1.NewTransferServiceClient(chunkConn).PutChunk(chunkCtx, &cordvaultv1.PutChunkRequest{
		UploadId:   start.UploadId,
		ChunkIndex: 0,
		Data:       small,
	})
	must(err)
	if chunkConn != conn {
		chunkConn.Close()
	}
	committed, err := transfer.CommitUpload(authed, &cordvaultv1.CommitUploadRequest{UploadId: start.UploadId})
	must(err)
	entry = committed.Entry
	check(entry.Size == uint64(len(small)), "%s: size %d, expected %d", smallPath, entry.Size, len(small))
	fmt.Printf("uploaded %s: %d bytes with one PutChunk\n", smallPath, entry.Size)

	// 5. The folder lists both, names sorted.
	listing, err := files.List(authed, &cordvaultv1.ListRequest{Path: folder})
	must(err)
	listed := map[string]uint64{}
	var names []string
	for _, e := range listing.Entries {
		listed[e.Name] = e.Size
		names = append(names, e.Name)
	}
	sort.Strings(names)
	described := make([]string, len(names))
	for i, name := range names {
		described[i] = fmt.Sprintf("%s (%d B)", name, listed[name])
	}
	fmt.Printf("listed %s: %s\n", folder, strings.Join(described, ", "))
	expected := map[string]uint64{"big.bin": uint64(len(big)), "hello.txt": uint64(len(small))}
	check(reflect.DeepEqual(listed, expected), "unexpected listing %v", listed)

	// 6. Both read back through the Read stream, plus one range.
	for _, file := range []struct {
		path     string
		expected []byte
	}{{bigPath, big}, {smallPath, small}} {
		data, err := cordvault.Read(ctx, conn, token, file.path, 0, 0)
		must(err)
		check(bytes.Equal(data, file.expected), "%s: read %d bytes that differ from what was uploaded", file.path, len(data))
		fmt.Printf("read %s: %d bytes, identical\n", file.path, len(data))
	}
	const boundary = 4 * 1024 * 1024
	middle, err := cordvault.Read(ctx, conn, token, bigPath, boundary-10, 100)
	must(err)
	check(bytes.Equal(middle, big[boundary-10:boundary+90]), "ranged read differs")
	fmt.Println("read a 100-byte range across a chunk boundary: identical")

	fmt.Println("example: ok")
}
