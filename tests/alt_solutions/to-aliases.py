"""Second solution for to-aliases: keeps the in-place normalisation, on an explicit copy
(.to(device, copy=True) copies even when X already is on device)."""


def batches(X, mean, std, batch_size, device):
    for start in range(0, X.shape[0], batch_size):
        batch = X[start : start + batch_size].to(device, copy=True)
        batch.sub_(mean)
        batch.div_(std)
        yield batch
