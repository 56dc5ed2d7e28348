// LiveView
