//go:build !unix

package load

import "errors"

// LimitFileSize is only available on Unix (RLIMIT_FSIZE); elsewhere it fails.
func LimitFileSize(n uint64) error {
	return errors.New("limit file size: RLIMIT_FSIZE is only available on Unix")
}
