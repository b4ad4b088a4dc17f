import Foundation

/// pwrite(2) of all of `raw` at `offset` in `fd`, retrying short writes; false (errno set) when
/// a write fails or writes nothing (a full disk). The callers say which file in their error.
func writeFully(_ fd: Int32, _ raw: UnsafeRawBufferPointer, at offset: UInt64) -> Bool {
    var done = 0
    while done < raw.count {
        let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
        if n <= 0 { return false }
        done += n
    }
    return true
}
