console.log('hi', process.env.NODE_EXTRA_CA_CERTS, process.argv.slice(2))
