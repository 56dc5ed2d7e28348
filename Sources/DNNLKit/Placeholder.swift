// DNNLKit
