// HarnessCore module
