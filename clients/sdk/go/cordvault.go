// Package cordvault is the cordvault Go SDK: the generated gRPC stubs plus a
// few small helpers.
//
// The stubs live in cordvault.dev/sdk/gen/cordvault/v1 (regenerate with
// `buf generate`); everything here is plain use of them:
//
//	conn, err := cordvault.Connect("http://127.0.0.1:8080")
//	auth := cordvaultv1.NewAuthServiceClient(conn)
//	login, err := auth.Login(ctx, &cordvaultv1.LoginRequest{Username: "alice", Password: "correct horse"})
//	entry, err := cordvault.Upload(ctx, conn, login.Token, "/docs/a.txt", []byte("hello"), cordvault.UploadOptions{})
//	data, err := cordvault.Read(ctx, conn, login.Token, "/docs/a.txt", 0, 0)
package cordvault

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	cordvaultv1 "cordvault.dev/sdk/gen/cordvault/v1"
)

// MaxMessageBytes is the send and receive limit of the connections Connect
// makes: chunks (4 MiB by default, CHUNK_SIZE on the server) travel in single
// messages, above gRPC's default 4 MiB receive limit.
const MaxMessageBytes = 64 * 1024 * 1024

// Connect opens a connection to address: "http://host:port" (plaintext
// HTTP/2), "https://host:port" (TLS) or a bare "host:port" (plaintext).
// Close it when done.
func Connect(address string) (*grpc.ClientConn, error) {
	raw := address
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	parts, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", address, err)
	}
	options := []grpc.DialOption{
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(MaxMessageBytes),
			grpc.MaxCallSendMsgSize(MaxMessageBytes),
		),
	}
	switch parts.Scheme {
	case "https":
		options = append(options, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{})))
	case "http":
		// WithInsecure rather than credentials/insecure, which gRPC-Go 1.33
		// (Debian 12's) does not have yet.
		options = append(options, grpc.WithInsecure())
	default:
		return nil, fmt.Errorf("unsupported scheme in %q: use http:// or https://", address)
	}
	return grpc.Dial(parts.Host, options...)
}

// WithToken returns ctx carrying the call metadata `authorization: Bearer
// <token>`, for a token from Login/Register (or an upload token).
func WithToken(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// UploadOptions are Upload's optional settings; the zero value fails on an
// existing file and lets the server guess the MIME type.
type UploadOptions struct {
	// CONFLICT_POLICY_UNSPECIFIED is taken as CONFLICT_POLICY_FAIL.
	ConflictPolicy cordvaultv1.ConflictPolicy
	MimeType       string
	// Progress, if set, is called after each chunk sent with the number of
	// chunks handled so far and the total.
	Progress func(chunkNumber, chunkCount uint64)
}

// Upload writes data to path with StartUpload, one PutChunk per chunk and
// CommitUpload, and returns the committed Entry.
//
// When the manager routes the upload to a worker (upload_endpoint set), the
// chunks go there with the upload token; Start and Commit stay on the manager
// with the user's token. A resumed session skips durable chunks.
func Upload(ctx context.Context, conn *grpc.ClientConn, token, path string, data []byte, options UploadOptions) (*cordvaultv1.Entry, error) {
	policy := options.ConflictPolicy
	if policy == cordvaultv1.ConflictPolicy_CONFLICT_POLICY_UNSPECIFIED {
		policy = cordvaultv1.ConflictPolicy_CONFLICT_POLICY_FAIL
	}
	digest := sha256.Sum256(data)
	manager := cordvaultv1.NewTransferServiceClient(conn)
	userCtx := WithToken(ctx, token)
	start, err := manager.StartUpload(userCtx, &cordvaultv1.StartUploadRequest{
		Path:           path,
		Size:           uint64(len(data)),
		Sha256:         hex.EncodeToString(digest[:]),
		ConflictPolicy: policy,
		MimeType:       options.MimeType,
	})
	if err != nil {
		return nil, fmt.Errorf("StartUpload %s: %w", path, err)
	}
	durable := map[uint64]bool{}
	if start.Resumed {
		query, err := manager.QueryUpload(userCtx, &cordvaultv1.QueryUploadRequest{UploadId: start.UploadId})
		if err != nil {
			return nil, fmt.Errorf("QueryUpload %s: %w", path, err)
		}
		for _, index := range query.DurableChunks {
			durable[index] = true
		}
	}

	chunkConn, chunkCtx := conn, userCtx
	if start.UploadEndpoint != "" {
		chunkConn, err = Connect(start.UploadEndpoint)
		if err != nil {
			return nil, fmt.Errorf("upload endpoint of %s: %w", path, err)
		}
		defer chunkConn.Close()
		chunkCtx = WithToken(ctx, start.UploadToken)
	}
	if start.ChunkCount > 0 && start.ChunkSize == 0 {
		return nil, fmt.Errorf("StartUpload %s: %d chunks of 0 bytes", path, start.ChunkCount)
	}
	chunks := cordvaultv1.NewTransferServiceClient(chunkConn)
	size := uint64(len(data))
	for index := uint64(0); index < start.ChunkCount; index++ {
		if durable[index] {
			continue
		}
		begin := index * start.ChunkSize
		end := begin + start.ChunkSize
		if begin > size {
			begin = size
		}
		if end > size {
			end = size
		}
		_, err := chunks.PutChunk(chunkCtx, &cordvaultv1.PutChunkRequest{
			UploadId:   start.UploadId,
			ChunkIndex: index,
			Data:       data[begin:end],
		})
		if err != nil {
			return nil, fmt.Errorf("PutChunk %s #%d: %w", path, index, err)
		}
		if options.Progress != nil {
			options.Progress(index+1, start.ChunkCount)
		}
	}

	commit, err := manager.CommitUpload(userCtx, &cordvaultv1.CommitUploadRequest{UploadId: start.UploadId})
	if err != nil {
		return nil, fmt.Errorf("CommitUpload %s: %w", path, err)
	}
	return commit.Entry, nil
}

// Read returns a file's bytes (or the range offset..offset+length; length 0
// reads to the end) through the bidirectional Read stream: one range is sent,
// the data messages up to range_end are joined.
func Read(ctx context.Context, conn *grpc.ClientConn, token, path string, offset, length uint64) ([]byte, error) {
	ctx, cancel := context.WithCancel(WithToken(ctx, token))
	defer cancel() // ends the call once the range is in, whatever the server does next
	stream, err := cordvaultv1.NewTransferServiceClient(conn).Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("Read %s: %w", path, err)
	}
	if err := stream.Send(&cordvaultv1.ReadRequest{Path: path, Offset: offset, Length: length}); err != nil {
		// The server's reason, if it ended the stream, comes with Recv.
		if _, recvErr := stream.Recv(); recvErr != nil && recvErr != io.EOF {
			err = recvErr
		}
		return nil, fmt.Errorf("Read %s: %w", path, err)
	}
	if err := stream.CloseSend(); err != nil {
		return nil, fmt.Errorf("Read %s: %w", path, err)
	}
	var data []byte
	position := offset
	for {
		response, err := stream.Recv()
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, fmt.Errorf("Read %s: %w", path, err)
		}
		if len(response.Data) > 0 {
			if response.Offset != position {
				return nil, fmt.Errorf("Read %s: expected offset %d, got %d", path, position, response.Offset)
			}
			data = append(data, response.Data...)
			position += uint64(len(response.Data))
		}
		if response.RangeEnd {
			return data, nil
		}
	}
}
