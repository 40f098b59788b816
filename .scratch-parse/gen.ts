process.argv[2] = '10000'
