#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

// VIDIOC_* and v4l2_fourcc are function-like macros and v4l2_open / v4l2_ioctl
// are variadic, so Swift sees them through these inline functions.
static inline int fercam_v4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
static inline int fercam_v4l2_ioctl(int fd, unsigned long request, void *arg) { return v4l2_ioctl(fd, request, arg); }
static inline unsigned long fercam_VIDIOC_QUERYCAP(void) { return VIDIOC_QUERYCAP; }
static inline unsigned long fercam_VIDIOC_ENUM_FMT(void) { return VIDIOC_ENUM_FMT; }
static inline unsigned long fercam_VIDIOC_ENUM_FRAMESIZES(void) { return VIDIOC_ENUM_FRAMESIZES; }
static inline unsigned long fercam_VIDIOC_ENUM_FRAMEINTERVALS(void) { return VIDIOC_ENUM_FRAMEINTERVALS; }
static inline unsigned long fercam_VIDIOC_S_FMT(void) { return VIDIOC_S_FMT; }
static inline unsigned long fercam_VIDIOC_S_PARM(void) { return VIDIOC_S_PARM; }
static inline unsigned long fercam_VIDIOC_REQBUFS(void) { return VIDIOC_REQBUFS; }
static inline unsigned long fercam_VIDIOC_QUERYBUF(void) { return VIDIOC_QUERYBUF; }
static inline unsigned long fercam_VIDIOC_QBUF(void) { return VIDIOC_QBUF; }
static inline unsigned long fercam_VIDIOC_DQBUF(void) { return VIDIOC_DQBUF; }
static inline unsigned long fercam_VIDIOC_STREAMON(void) { return VIDIOC_STREAMON; }
static inline unsigned long fercam_VIDIOC_STREAMOFF(void) { return VIDIOC_STREAMOFF; }
static inline unsigned int fercam_fourcc(char a, char b, char c, char d) { return v4l2_fourcc(a, b, c, d); }
static inline unsigned long fercam_VIDIOC_G_PARM(void) { return VIDIOC_G_PARM; }
static inline int fercam_v4l2_close(int fd) { return v4l2_close(fd); }
static inline void *fercam_v4l2_mmap(size_t length, int fd, long offset) {
    return v4l2_mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
}
static inline int fercam_v4l2_munmap(void *start, size_t length) { return v4l2_munmap(start, length); }
static inline int fercam_map_failed(void *pointer) { return pointer == MAP_FAILED; }
