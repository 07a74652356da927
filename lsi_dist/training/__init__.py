"""Training the networks on MNIST, and checking their quality."""
