// V4L2Kit
