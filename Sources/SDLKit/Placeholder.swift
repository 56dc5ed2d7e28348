// SDLKit
