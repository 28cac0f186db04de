package files

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Delete removes the file stored under key; a file already gone is not an
// error (a purge that stopped half-way runs again).
func (d *Disk) Delete(_ context.Context, key string) error {
	path, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("files: %w", err)
	}
	return nil
}
