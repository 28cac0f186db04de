package s3store

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/docflow/docflow/derrors"
	"github.com/minio/minio-go/v7"
)

// errPrecondition is a conditional write the endpoint refused (412).
var errPrecondition = errors.New("s3store: precondition failed")

// wrap maps the endpoint's answer for key onto docflow's categories: a
// missing object is derrors.NotFound, a refused condition errPrecondition.
func (s *Store) wrap(key string, err error) error {
	if err == nil {
		return nil
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.NoSuchKey || (resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket):
		return fmt.Errorf("file %q: %w", key, derrors.NotFound)
	case resp.Code == minio.PreconditionFailed || resp.StatusCode == http.StatusPreconditionFailed,
		resp.Code == "ConditionalRequestConflict": // AWS: a concurrent conditional write won
		return fmt.Errorf("file %q: %w", key, errPrecondition)
	}
	return fmt.Errorf("s3store: %s/%s: %w", s.bucket, key, err)
}
