// Helia's dependencies (it-queue, mortice, abort-error) call Promise.withResolvers, which Node
// has only from version 22; the project runs on Node 20. This is the ES2024 definition.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new this((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}
