/** The usage text, in the shape of Occlum's (`report_arg_error`), for the commands occlum-ts has. */
export const USAGE = `Usage:
    occlum new <path> [--init-ra <grpc_ratls|aecs>]
        Create a new directory at <path> and initialize as the Occlum instance.

    occlum init [--init-ra <grpc_ratls|aecs>]
        Initialize a directory as the Occlum instance.

    occlum build [--sign-key <key_path>] [--sign-tool <tool_path>] [--sgx-mode <HW|SIM|HYPER>]
                 [--enable-edmm <Y|N>] [--image-key <key_path>] [--buildin-image-key] [-f/--force]
        Build and sign an Occlum instance and generate its associated secure FS image
        according to the user-provided image directory and Occlum.json config file.
        The building process is incremental: the building artifacts are built only when needed;
        a changed SGX mode, EDMM setting, signing key or image key rebuilds everything.
        To force rebuilding all artifacts, give the [-f/--force] flag.

    occlum run <program_name> <program_args>
        Run the user program inside the Occlum instance.

    occlum start
        Start the Occlum server, for "occlum exec".

    occlum exec <program_name> <program_args>
        Run the user program in the started Occlum server.

    occlum stop
        Stop the Occlum server.

    occlum status
        Print the status of the Occlum instance: initialized, built, running or debugging.

    occlum package [<package_name>.tar.gz] [--debug]
        Generate a minimal, self-contained package (.tar.gz) for the Occlum instance.

    occlum gdb <program_name> <program_args>
        Debug the program running inside the Occlum instance.

    occlum mount [--sign-key <key_path>] [--sign-tool <tool_path>] [--image-key <key_path>] <path>
        Mount the secure FS image of the Occlum instance at an existing <path>.

    occlum gen-image-key <key_path>
        Generate a file consisting of a randomly generated 128-bit key for encryption of the FS image.

    occlum print mrsigner|mrenclave
        Print the Occlum instance's mrsigner or mrenclave.
`;
