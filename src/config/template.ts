/**
 * The Occlum.json that `occlum init` writes: Occlum's etc/template/Occlum.json (spec 1.9) with the
 * same keys, values and order, in Occlum's 4-space layout. Worked example 1 of spec 2.8 is the
 * build of exactly this file.
 */
export const TEMPLATE_OCCLUM_JSON = `{
    "resource_limits": {
        "kernel_space_heap_size": "32MB",
        "kernel_space_stack_size": "1MB",
        "user_space_size": "300MB",
        "max_num_of_threads": 32
    },
    "process": {
        "default_stack_size": "4MB",
        "default_heap_size": "32MB",
        "default_mmap_size": "100MB"
    },
    "entry_points": [
        "/bin"
    ],
    "env": {
        "default": [
            "OCCLUM=yes"
        ],
        "untrusted": [
            "EXAMPLE"
        ]
    },
    "metadata": {
        "product_id": 0,
        "version_number": 0,
        "debuggable": true,
        "enable_kss": false,
        "family_id": {
            "high": "0x0",
            "low": "0x0"
        },
        "ext_prod_id": {
            "high": "0x0",
            "low": "0x0"
        }
    },
    "feature": {
        "amx": 0,
        "pkru": 0,
        "io_uring": 0,
        "enable_edmm": false,
        "enable_posix_shm": false
    },
    "mount": [
        {
            "target": "/",
            "type": "unionfs",
            "options": {
                "layers": [
                    {
                        "target": "/",
                        "type": "sefs",
                        "source": "./build/mount/__ROOT",
                        "options": {
                            "MAC": ""
                        }
                    },
                    {
                        "target": "/",
                        "type": "sefs",
                        "source": "./run/mount/__ROOT"
                    }
                ]
            }
        },
        {
            "target": "/host",
            "type": "hostfs",
            "source": "."
        }
    ]
}
`;
